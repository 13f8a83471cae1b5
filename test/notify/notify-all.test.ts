import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NotifyFailedError, notifyAll } from '../../src/notify/index.js';
import { startSmtpSink, startWebhook, type SmtpSink, type Webhook } from './sinks.js';
import { promoted } from './summaries.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function memoryLogger() {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) records.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), records };
}

async function sinks(slackStatus: number, slackBody: string): Promise<{ smtp: SmtpSink; hook: Webhook; env: NodeJS.ProcessEnv }> {
  const smtp = await startSmtpSink();
  const hook = await startWebhook(slackStatus, slackBody);
  open.push(smtp, hook);
  const env = { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), NOTIFY_EMAIL_TO: 'team@example.test', NOTIFY_EMAIL_FROM: 'dagctl@example.test', SLACK_WEBHOOK_URL: hook.url };
  return { smtp, hook, env };
}

describe('notify: notifyAll', () => {
  it('skips unconfigured channels with a log line, not an error', async () => {
    const { logger, records } = memoryLogger();
    const results = await notifyAll(promoted, { env: {}, logger });
    expect(results).toEqual([
      { channel: 'email', status: 'skipped', detail: 'SMTP_HOST is not set' },
      { channel: 'slack', status: 'skipped', detail: 'SLACK_WEBHOOK_URL is not set' },
    ]);
    expect(records.filter((r) => r.msg === 'notify.skipped').map((r) => r.channel)).toEqual(['email', 'slack']);
  });

  it('sends on both channels', async () => {
    const { smtp, hook, env } = await sinks(200, 'ok');
    const mail = smtp.next();
    const results = await notifyAll(promoted, { env, logger: pino({ level: 'silent' }) });
    expect(results.map((r) => [r.channel, r.status])).toEqual([['email', 'sent'], ['slack', 'sent']]);
    expect((await mail).subject).toContain('promoted model v4');
    expect(hook.bodies).toHaveLength(1);
  });

  it('tries every channel, then throws an aggregate error when one failed (Slack 410)', async () => {
    const { smtp, env } = await sinks(410, 'channel_is_archived');
    const mail = smtp.next();
    const err = await notifyAll(promoted, { env, logger: pino({ level: 'silent' }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyFailedError);
    const f = err as NotifyFailedError;
    expect(f.results.map((r) => [r.channel, r.status])).toEqual([['email', 'sent'], ['slack', 'failed']]);
    expect(f.message).toContain('slack');
    expect(f.hint).toContain('the channel was archived: create a new webhook');
    expect(f.retryable).toBe(false);
    expect((await mail).text).toMatch(/auc\s+0\.9620\s+0\.9510/); // the email still went out
  });

  it('fails a half-configured email channel loudly instead of skipping it', async () => {
    const err = await notifyAll(promoted, { env: { SMTP_HOST: '127.0.0.1' }, logger: pino({ level: 'silent' }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyFailedError);
    expect((err as NotifyFailedError).results[0]).toMatchObject({ channel: 'email', status: 'failed' });
    expect((err as NotifyFailedError).hint).toContain('NOTIFY_EMAIL_TO');
  });
});
