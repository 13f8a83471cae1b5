import { IncomingWebhook, IncomingWebhookHTTPError } from '@slack/webhook';
import type { KnownBlock } from '@slack/types';
import { SlackError } from './errors.js';
import type { Notice } from './types.js';

// What each webhook answer means and what to do (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks).
const BY_STATUS: Record<number, { hint: string; retryable: boolean }> = {
  400: { hint: 'Slack rejected the message body (invalid_payload): a block is malformed or too long; this is a bug in the notice, retrying will not help', retryable: false },
  403: { hint: 'posting is not allowed (action_prohibited): a workspace admin restricted this channel or app', retryable: false },
  404: { hint: 'the webhook or its channel no longer exists (channel_not_found / no_service): create a new incoming webhook and update SLACK_WEBHOOK_URL', retryable: false },
  410: { hint: 'the channel was archived: create a new webhook (or unarchive the channel) and update SLACK_WEBHOOK_URL', retryable: false },
  429: { hint: 'rate limited by Slack (about 1 message per second per webhook): retryable, the task will try again', retryable: true },
};

function explain(status: number): { hint: string; retryable: boolean } {
  return BY_STATUS[status] ?? (status >= 500
    ? { hint: `Slack had a server error (${status}); retryable`, retryable: true }
    : { hint: `unexpected answer ${status} from the webhook; check SLACK_WEBHOOK_URL`, retryable: false });
}

/** Posts the notice's Slack form to an incoming webhook; any answer but 200 is a SlackError. */
export async function sendSlack(webhookUrl: string, n: Notice, o: { timeoutMs?: number } = {}): Promise<void> {
  const hook = new IncomingWebhook(webhookUrl, { timeout: o.timeoutMs ?? 15_000 });
  try {
    // The notice's blocks are built by renderNotice in Slack's Block Kit shapes; the type is kept open there.
    await hook.send({ text: n.slack.text, blocks: n.slack.blocks as KnownBlock[] });
  } catch (err) {
    if (err instanceof IncomingWebhookHTTPError) {
      const body = err.body.trim();
      const { hint, retryable } = explain(err.statusCode);
      throw new SlackError(`Slack webhook answered ${err.statusCode}${body ? ` ${body}` : ''}`, hint, retryable, err.statusCode, body || null, err);
    }
    const e = err as Error;
    throw new SlackError(`cannot reach the Slack webhook: ${e.message}`, 'check SLACK_WEBHOOK_URL and the network (a proxy?)', true, null, null, err);
  }
}
