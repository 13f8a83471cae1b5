import type { Logger } from 'pino';
import { emailConfigFromEnv, sendEmail } from './email.js';
import { NotifyFailedError } from './errors.js';
import { renderNotice } from './render.js';
import { sendSlack } from './slack.js';
import type { Channel, ChannelResult, Notice, RunSummary } from './types.js';

export interface NotifyOptions {
  /** Where SMTP_* / NOTIFY_EMAIL_* / SLACK_WEBHOOK_URL are read from (the caller passes process.env or a config). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  timeoutMs?: number;
  /** Channels an earlier try of the same notice already reached: reported as sent, not sent again. */
  alreadySent?: ReadonlySet<Channel>;
}

type Attempt = { channel: Channel; send: (() => Promise<string>) | { skipped: string } };

function attempts(n: Notice, o: NotifyOptions): Attempt[] {
  let email: Attempt['send'];
  try {
    const cfg = emailConfigFromEnv(o.env);
    email = cfg ? async () => (await sendEmail({ ...cfg, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) }, n)).messageId : { skipped: 'SMTP_HOST is not set' };
  } catch (err) {
    // A half-configured channel (SMTP_HOST without NOTIFY_EMAIL_TO) fails loudly instead of being skipped.
    email = () => Promise.reject(err);
  }
  const slackUrl = o.env.SLACK_WEBHOOK_URL?.trim();
  return [
    { channel: 'email', send: email },
    { channel: 'slack', send: slackUrl ? async () => (await sendSlack(slackUrl, n, { timeoutMs: o.timeoutMs }), 'ok') : { skipped: 'SLACK_WEBHOOK_URL is not set' } },
  ];
}

/**
 * Sends the run's notice on every configured channel, each independently (one failing never stops the other).
 * Unconfigured channels are 'skipped' and logged. If any configured channel failed, throws NotifyFailedError
 * after all were tried, so the engine retries the task; `retryable` on it says whether that can help.
 */
export async function notifyAll(s: RunSummary, o: NotifyOptions): Promise<ChannelResult[]> {
  const logger = o.logger.child({ component: 'notify' });
  const notice = renderNotice(s);
  const results = await Promise.all(
    attempts(notice, o).map(async ({ channel, send }): Promise<ChannelResult> => {
      if (o.alreadySent?.has(channel)) {
        logger.info({ channel }, 'notify.already_sent');
        return { channel, status: 'sent', detail: 'sent by an earlier try' };
      }
      if (typeof send !== 'function') {
        logger.info({ channel, reason: send.skipped }, 'notify.skipped');
        return { channel, status: 'skipped', detail: send.skipped };
      }
      try {
        const detail = await send();
        logger.info({ channel, detail }, 'notify.sent');
        return { channel, status: 'sent', detail };
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        logger.warn({ channel, err: error }, 'notify.failed');
        return { channel, status: 'failed', detail: error.message, error };
      }
    }),
  );
  if (results.some((r) => r.status === 'failed')) throw new NotifyFailedError(results);
  return results;
}
