import os from 'node:os';
import nodemailer from 'nodemailer';
import { EmailError, NotifyConfigError } from './errors.js';
import type { EmailConfig, Notice } from './types.js';

function parseBool(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '') return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new NotifyConfigError(`${name}=${raw} is not a boolean`, `set ${name} to true (TLS from the start, port 465) or false (STARTTLS)`);
}

/**
 * Email settings from the environment; null when SMTP_HOST is unset (the channel is off).
 * SMTP_HOST, SMTP_PORT (default 465 when SMTP_SECURE, else 587), SMTP_SECURE, SMTP_USER, SMTP_PASSWORD,
 * NOTIFY_EMAIL_FROM (default dagctl@<hostname>), NOTIFY_EMAIL_TO (required; comma-separated).
 */
export function emailConfigFromEnv(env: NodeJS.ProcessEnv): EmailConfig | null {
  const host = env.SMTP_HOST?.trim();
  if (!host) return null;
  const secure = parseBool('SMTP_SECURE', env.SMTP_SECURE);
  const port = env.SMTP_PORT ? Number(env.SMTP_PORT) : secure ? 465 : 587;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new NotifyConfigError(`SMTP_PORT=${env.SMTP_PORT} is not a port number`, 'set SMTP_PORT to a number such as 587 (STARTTLS) or 465 (SMTP_SECURE=true)');
  }
  const to = (env.NOTIFY_EMAIL_TO ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (to.length === 0) throw new NotifyConfigError('SMTP_HOST is set but NOTIFY_EMAIL_TO is empty', 'set NOTIFY_EMAIL_TO to one or more comma-separated addresses, or unset SMTP_HOST');
  return {
    host,
    port,
    secure,
    ...(env.SMTP_USER ? { user: env.SMTP_USER, password: env.SMTP_PASSWORD ?? '' } : {}),
    from: env.NOTIFY_EMAIL_FROM?.trim() || `dagctl@${os.hostname()}`,
    to,
  };
}

interface SmtpFailure extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/** nodemailer's error codes and SMTP reply codes to a message, a hint and whether a retry can help. */
function classify(err: SmtpFailure, cfg: EmailConfig): EmailError {
  const where = `${cfg.host}:${cfg.port}`;
  const rc = typeof err.responseCode === 'number' ? err.responseCode : null;
  if (err.code === 'EAUTH') {
    return new EmailError(`SMTP login to ${where} failed: ${err.response ?? err.message}`, 'check SMTP_USER and SMTP_PASSWORD', false, rc, err);
  }
  if (rc !== null) {
    const permanent = rc >= 500;
    return new EmailError(
      `SMTP server ${where} refused the mail: ${err.response ?? err.message}`,
      permanent ? `the server rejected it permanently (${rc}): check NOTIFY_EMAIL_TO / NOTIFY_EMAIL_FROM and the server's relay rules` : `temporary refusal (${rc}); it will be retried`,
      !permanent,
      rc,
      err,
    );
  }
  if (['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED'].includes(err.code ?? '')) {
    return new EmailError(`cannot reach SMTP server ${where}: ${err.message}`, 'check SMTP_HOST, SMTP_PORT and SMTP_SECURE, and that the server is running', true, null, err);
  }
  if (err.code === 'ETLS') {
    return new EmailError(`TLS with SMTP server ${where} failed: ${err.message}`, 'check SMTP_SECURE (true only for implicit TLS, usually port 465)', false, null, err);
  }
  return new EmailError(`sending mail through ${where} failed: ${err.message}`, 'check the SMTP_* settings', true, null, err);
}

/** Sends the notice as a multipart (text + HTML) mail. */
export async function sendEmail(cfg: EmailConfig, n: Notice): Promise<{ messageId: string }> {
  const timeout = cfg.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure,
    ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password ?? '' } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  try {
    const info = await transport.sendMail({ from: cfg.from, to: cfg.to, subject: n.subject, text: n.text, html: n.html });
    return { messageId: info.messageId };
  } catch (err) {
    throw classify(err as SmtpFailure, cfg);
  } finally {
    transport.close();
  }
}
