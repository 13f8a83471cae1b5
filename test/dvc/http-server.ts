import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A test DVC HTTP remote like dvc-http's tests/httpd.py: static GET/HEAD, POST (or PUT) writes the body. */
export interface TestHttpRemote {
  url: string;
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

/** `rejectWrites`: answer every POST/PUT with this status (an auth failure, a full disk). */
export async function startHttpRemote(root: string, opts: { rejectWrites?: number } = {}): Promise<TestHttpRemote> {
  const requests: TestHttpRemote['requests'] = [];
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(root, ...rel.split('/').filter((p) => p && p !== '..'));
    requests.push({ method: req.method ?? '', path: rel });
    const fail = (code: number): void => {
      res.statusCode = code;
      res.end();
    };
    if ((req.method === 'POST' || req.method === 'PUT') && opts.rejectWrites) {
      req.resume();
      req.on('end', () => fail(opts.rejectWrites as number));
      return;
    }
    if (req.method === 'POST' || req.method === 'PUT') {
      mkdir(path.dirname(file), { recursive: true })
        .then(() => pipeline(req, createWriteStream(file)))
        .then(() => fail(201), () => fail(500));
      return;
    }
    stat(file).then(
      (s) => {
        if (!s.isFile()) return fail(404);
        res.setHeader('content-length', s.size);
        if (req.method === 'HEAD') return res.end();
        createReadStream(file).pipe(res);
      },
      () => fail(404),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/dvcstore`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
