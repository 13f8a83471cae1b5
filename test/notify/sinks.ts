// Real local sinks for the notify tests: an SMTP server that keeps what it receives, and a Slack-like webhook.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  port: number;
  mails: ParsedMail[];
  /** Resolves with the next mail received. */
  next(): Promise<ParsedMail>;
  close(): Promise<void>;
}

/** `rejectRcpt`: answer RCPT TO with this SMTP code (e.g. 550) instead of accepting. */
export async function startSmtpSink(o: { rejectRcpt?: number } = {}): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const waiting: ((m: ParsedMail) => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, cb) {
      if (o.rejectRcpt) cb(Object.assign(new Error('Requested action not taken: mailbox unavailable'), { responseCode: o.rejectRcpt }));
      else cb();
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then(
        (mail) => {
          mails.push(mail);
          waiting.shift()?.(mail);
          cb();
        },
        (err: Error) => cb(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    mails,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Webhook {
  url: string;
  bodies: unknown[];
  close(): Promise<void>;
}

/** Answers every POST with `status` and `body`, as Slack's incoming webhooks do (200 "ok", 410 "channel_is_archived"...). */
export async function startWebhook(status: number, body: string): Promise<Webhook> {
  const bodies: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      bodies.push(req.headers['content-type'] === 'application/json' ? JSON.parse(raw) : raw);
      res.writeHead(status, { 'content-type': 'text/html' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
