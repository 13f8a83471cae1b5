import { afterEach, describe, expect, it } from 'vitest';
import { SlackError, renderNotice, sendSlack } from '../../src/notify/index.js';
import { closedPort, startWebhook, type Webhook } from './sinks.js';
import { promoted } from './summaries.js';

let hook: Webhook | undefined;
afterEach(async () => {
  await hook?.close();
  hook = undefined;
});

async function failure(status: number, body: string): Promise<SlackError> {
  hook = await startWebhook(status, body);
  const err = await sendSlack(hook.url, renderNotice(promoted)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SlackError);
  return err as SlackError;
}

describe('notify: Slack incoming webhook', () => {
  it('posts text and blocks and accepts 200 ok', async () => {
    hook = await startWebhook(200, 'ok');
    await sendSlack(hook.url, renderNotice(promoted));
    const body = hook.bodies[0] as { text: string; blocks: { type: string }[] };
    expect(body.text).toContain('promoted model v4');
    expect(body.blocks[0]?.type).toBe('header');
    expect(JSON.stringify(body.blocks)).toContain('+0.0110');
  });

  it('400 invalid_payload: not retryable, says the payload is at fault', async () => {
    const err = await failure(400, 'invalid_payload');
    expect(err).toMatchObject({ status: 400, slackError: 'invalid_payload', retryable: false });
    expect(err.hint).toContain('invalid_payload');
  });

  it('404 channel_not_found: create a new webhook', async () => {
    const err = await failure(404, 'channel_not_found');
    expect(err).toMatchObject({ status: 404, slackError: 'channel_not_found', retryable: false });
    expect(err.hint).toContain('create a new incoming webhook');
  });

  it('410 channel_is_archived: the channel was archived, create a new webhook', async () => {
    const err = await failure(410, 'channel_is_archived');
    expect(err).toMatchObject({ status: 410, slackError: 'channel_is_archived', retryable: false });
    expect(err.message).toBe('Slack webhook answered 410 channel_is_archived');
    expect(err.hint).toMatch(/^the channel was archived: create a new webhook/);
  });

  it('429: rate limited and retryable', async () => {
    const err = await failure(429, 'rate_limited');
    expect(err).toMatchObject({ status: 429, retryable: true });
    expect(err.hint).toContain('rate limited');
  });

  it('no answer at all: retryable, status null', async () => {
    const err = await sendSlack(`http://127.0.0.1:${await closedPort()}/hook`, renderNotice(promoted)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackError);
    expect(err).toMatchObject({ status: null, retryable: true });
    expect((err as SlackError).hint).toContain('SLACK_WEBHOOK_URL');
  });
});
