import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { DvcError, RemoteUnreachableError } from '../errors.js';
import { ObjectNotFoundError, type Remote } from './types.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE']);

export interface HttpRemoteOptions {
  method: 'POST' | 'PUT';
  /** Sockets kept open to the server; the transfer pool's size. */
  maxSockets: number;
  /** No byte for this long fails the request. Default 60 s. */
  timeoutMs?: number;
  /** `auth = basic` with `user`/`password` from the remote's config. */
  basicAuth?: { user: string; password: string };
  /** Aborts every request in flight (task timeout or cancellation). */
  signal?: AbortSignal;
}

/**
 * dvc-http's protocol: GET `<url>/<key>` downloads, HEAD tests existence, upload is the raw body
 * POSTed (or PUT) to the same URL.
 */
export class HttpRemote implements Remote {
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly opts: HttpRemoteOptions,
  ) {
    const secure = url.startsWith('https:');
    this.client = secure ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
  }

  /** Starts a request; the promise settles with the response head or a typed network error. */
  private request(method: string, key: string, headers: http.OutgoingHttpHeaders = {}): { req: http.ClientRequest; res: Promise<http.IncomingMessage> } {
    const timeout = this.opts.timeoutMs ?? 60_000;
    const auth = this.opts.basicAuth;
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    const req = this.client.request(new URL(`${this.url}/${key}`), { method, headers, agent: this.agent, timeout, ...(this.opts.signal ? { signal: this.opts.signal } : {}) });
    const res = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${timeout} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(this.wrap(err)));
    });
    return { req, res };
  }

  private wrap(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code && NETWORK_CODES.has(code)) return new RemoteUnreachableError(this.name, this.url, `${code} ${err.message}`, err);
    return err;
  }

  private statusError(method: string, key: string, res: http.IncomingMessage): DvcError {
    res.resume();
    return new DvcError('remote_error', `remote '${this.name}' answered ${res.statusCode} ${res.statusMessage ?? ''} to ${method} ${key}`, {
      hint: res.statusCode === 401 || res.statusCode === 403 ? 'check the remote credentials (auth, user, password in .dvc/config.local)' : 'check the server log',
    });
  }

  /** HEAD, or a GET abandoned after its headers for servers that refuse HEAD (as fsspec falls back). */
  async exists(key: string, method: 'HEAD' | 'GET' = 'HEAD'): Promise<boolean> {
    const { req, res } = this.request(method, key);
    req.end();
    const r = await res;
    if (method === 'GET') r.destroy();
    else r.resume();
    if (r.statusCode === 200) return true;
    if (r.statusCode === 404) return false;
    if (method === 'HEAD' && (r.statusCode === 405 || r.statusCode === 501)) return this.exists(key, 'GET');
    throw this.statusError(method, key, r);
  }

  async download(key: string, dest: string): Promise<void> {
    const { req, res } = this.request('GET', key);
    req.end();
    const r = await res;
    if (r.statusCode === 404) {
      r.resume();
      throw new ObjectNotFoundError(key);
    }
    if (r.statusCode !== 200) throw this.statusError('GET', key, r);
    try {
      await pipeline(r, createWriteStream(dest));
    } catch (err) {
      throw this.wrap(err as Error);
    }
  }

  async upload(src: string, key: string): Promise<void> {
    const { size } = await stat(src);
    const method = this.opts.method;
    const { req, res } = this.request(method, key, { 'content-type': 'application/octet-stream', 'content-length': size });
    // Settles to the send error (if any) so a failed response never leaves a rejection unhandled.
    const sent = pipeline(createReadStream(src), req).then(
      () => undefined,
      (err: Error) => err,
    );
    const r = await res;
    const sendError = await sent;
    if (sendError) throw this.wrap(sendError);
    if (r.statusCode === undefined || r.statusCode < 200 || r.statusCode >= 300) throw this.statusError(method, key, r);
    r.resume();
  }

  close(): void {
    this.agent.destroy();
  }
}
