import type { ChannelResult } from './types.js';

/** Typed notify errors: a stable `code`, a `hint`, whether retrying can help, and the original `cause`. */
export class NotifyError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A notify setting in the environment is present but unusable (e.g. SMTP_HOST without NOTIFY_EMAIL_TO). */
export class NotifyConfigError extends NotifyError {
  constructor(message: string, hint: string) {
    super(message, 'notify_config', hint, false);
  }
}

export class EmailError extends NotifyError {
  constructor(
    message: string,
    hint: string,
    retryable: boolean,
    /** The SMTP reply code (550...) when the server answered, else null. */
    readonly responseCode: number | null,
    cause?: unknown,
  ) {
    super(message, 'email_failed', hint, retryable, { cause });
  }
}

export class SlackError extends NotifyError {
  constructor(
    message: string,
    hint: string,
    retryable: boolean,
    /** HTTP status of the webhook's answer, null when there was no answer. */
    readonly status: number | null,
    /** Slack's error string from the body (invalid_payload, channel_is_archived...). */
    readonly slackError: string | null,
    cause?: unknown,
  ) {
    super(message, 'slack_failed', hint, retryable, { cause });
  }
}

/** Thrown by notifyAll after trying every channel when at least one configured channel failed. */
export class NotifyFailedError extends NotifyError {
  constructor(readonly results: ChannelResult[]) {
    const failed = results.filter((r) => r.status === 'failed');
    const summary = results.map((r) => `${r.channel} ${r.status}${r.status === 'failed' ? ` (${r.detail})` : ''}`).join('; ');
    const hints = failed.map((r) => (r.error as NotifyError | undefined)?.hint).filter((h): h is string => !!h);
    super(
      `notification failed on ${failed.map((r) => r.channel).join(' and ')}: ${summary}`,
      'notify_failed',
      hints.join('; ') || undefined,
      failed.some((r) => (r.error as NotifyError | undefined)?.retryable ?? true),
      { cause: failed[0]?.error },
    );
  }
}
