import { afterEach, describe, expect, it } from 'vitest';
import { EmailError, NotifyConfigError, emailConfigFromEnv, renderNotice, sendEmail, type EmailConfig } from '../../src/notify/index.js';
import { closedPort, startSmtpSink, type SmtpSink } from './sinks.js';
import { promoted } from './summaries.js';

let sink: SmtpSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

const cfg = (port: number): EmailConfig => ({ host: '127.0.0.1', port, secure: false, from: 'dagctl@example.test', to: ['ml-team@example.test'], timeoutMs: 3000 });

describe('notify: email through a real SMTP server', () => {
  it('delivers a text + HTML mail with both models’ metrics', async () => {
    sink = await startSmtpSink();
    const received = sink.next();
    const { messageId } = await sendEmail(cfg(sink.port), renderNotice(promoted));
    const mail = await received;
    expect(messageId).toMatch(/^<.+@.+>$/);
    expect(mail.subject).toBe('[dagctl] continuous_retraining: promoted model v4 (AUC 0.962, was AUC 0.951)');
    expect(mail.from?.text).toBe('dagctl@example.test');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('ml-team@example.test');
    expect(mail.text).toMatch(/auc\s+0\.9620\s+0\.9510\s+\+0\.0110/);
    expect(mail.text).toMatch(/specificity\s+0\.7610\s+0\.7010\s+\+0\.0600/);
    expect(mail.html).toContain('champion (v3)');
    expect(mail.html).toContain('>0.9510</td>');
  });

  it('reports a 550 rejection as a permanent EmailError with the reply code', async () => {
    sink = await startSmtpSink({ rejectRcpt: 550 });
    const err = await sendEmail(cfg(sink.port), renderNotice(promoted)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmailError);
    expect((err as EmailError).responseCode).toBe(550);
    expect((err as EmailError).retryable).toBe(false);
    expect((err as EmailError).message).toContain('mailbox unavailable');
    expect((err as EmailError).hint).toContain('NOTIFY_EMAIL_TO');
    expect(sink.mails).toHaveLength(0);
  });

  it('reports a closed port as a retryable EmailError that names the server', async () => {
    const port = await closedPort();
    const err = await sendEmail(cfg(port), renderNotice(promoted)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmailError);
    expect((err as EmailError).retryable).toBe(true);
    expect((err as EmailError).message).toContain(`127.0.0.1:${port}`);
    expect((err as EmailError).hint).toContain('SMTP_HOST');
  });

  it('reads SMTP settings from the environment', () => {
    expect(emailConfigFromEnv({})).toBeNull();
    expect(emailConfigFromEnv({ SMTP_HOST: 'mail', NOTIFY_EMAIL_TO: 'a@x, b@x', SMTP_USER: 'u', SMTP_PASSWORD: 'p', NOTIFY_EMAIL_FROM: 'bot@x' })).toEqual({
      host: 'mail', port: 587, secure: false, user: 'u', password: 'p', from: 'bot@x', to: ['a@x', 'b@x'],
    });
    expect(emailConfigFromEnv({ SMTP_HOST: 'mail', SMTP_SECURE: 'true', NOTIFY_EMAIL_TO: 'a@x' })?.port).toBe(465);
    expect(() => emailConfigFromEnv({ SMTP_HOST: 'mail' })).toThrow(NotifyConfigError);
    expect(() => emailConfigFromEnv({ SMTP_HOST: 'mail', NOTIFY_EMAIL_TO: 'a@x', SMTP_PORT: 'abc' })).toThrow(/SMTP_PORT=abc/);
  });
});
