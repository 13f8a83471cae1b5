// The real web server (src/web/server.ts) on 127.0.0.1, port 0, over a real engine and SQLite database in a
// temp DAGCTL_HOME, with one user per role. `call` sends HTTP Basic as that user; `validate` checks a body
// against Airflow 2.10's own spec (shared/reference), the way a generated client would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { openRunAdmin } from '../../src/engine/run-admin.js';
import { openEngine, systemClock, type Engine } from '../../src/engine/service.js';
import { openUserStore, type UserService } from '../../src/engine/users.js';
import type { Role } from '../../src/web/context.js';
import { startWebServer, type RunningWebServer, type WebServerOptions } from '../../src/web/server.js';

export const API_DAGS = path.resolve(import.meta.dirname, '../fixtures/web-api/dags');
export const silent = pino({ level: 'silent' });
export const PASSWORDS: Record<Role, string> = { Admin: 'admin-pass', Op: 'op-pass', Viewer: 'viewer-pass' };
export const USERNAMES: Record<Role, string> = { Admin: 'admin', Op: 'op', Viewer: 'viewer' };

export interface ApiServer {
  url: string;
  home: string;
  engine: Engine;
  users: UserService;
  server: RunningWebServer;
  /** A request with HTTP Basic as the user of `as` (default Admin; null: no credentials). JSON bodies. */
  call(method: string, p: string, o?: { as?: Role | null; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** call() + the parsed JSON body, and the status. */
  json<T = any>(method: string, p: string, o?: { as?: Role | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T; res: Response }>;
  close(): Promise<void>;
}

export const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

export async function apiServer(o: { dagsFolder?: string; server?: Omit<WebServerOptions, 'ui'> } = {}): Promise<ApiServer> {
  const home = mkdtempSync(path.join(tmpdir(), 'dagctl-api-'));
  const engine = await openEngine({ home, dagsFolders: [o.dagsFolder ?? API_DAGS], parallelism: 2, logger: silent, heartbeatS: 1 });
  const users = openUserStore(home);
  const runs = openRunAdmin(home);
  for (const role of ['Admin', 'Op', 'Viewer'] as const) await users.create({ username: USERNAMES[role], password: PASSWORDS[role], role, email: `${USERNAMES[role]}@example.com` });
  const server = await startWebServer({ engine, logger: silent, clock: systemClock, home, users, runs }, { host: '127.0.0.1', port: 0, ...o.server });
  const call: ApiServer['call'] = (method, p, c = {}) => {
    const as = c.as === undefined ? 'Admin' : c.as;
    const headers: Record<string, string> = { accept: 'application/json', ...c.headers };
    if (as) headers.authorization = basic(USERNAMES[as], PASSWORDS[as]);
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${server.url}${p}`, { method, headers, ...(c.body !== undefined ? { body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body) } : {}) });
  };
  return {
    url: server.url, home, engine, users, server, call,
    async json(method, p, c) {
      const res = await call(method, p, c);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, res };
    },
    async close() {
      await server.close();
      await engine.close();
      runs.close();
      users.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Asserts that `body` (answered with `status` to `method template`) conforms to Airflow 2.10's spec and to
 * the document this server serves at /api/v1/openapi.json.
 */
export async function conformance(s: ApiServer): Promise<(method: string, template: string, status: number, body: unknown) => void> {
  const { airflowChecker, openApiChecker } = await import('./openapi-check.js');
  const { expect } = await import('vitest');
  const airflow = airflowChecker();
  const own = openApiChecker((await s.json('GET', '/api/v1/openapi.json')).body);
  return (method, template, status, body) => {
    expect(airflow.errors(method, template, status, body), `${method} ${template} ${status} vs Airflow's spec`).toEqual([]);
    expect(own.errors(method, template, status, body), `${method} ${template} ${status} vs /api/v1/openapi.json`).toEqual([]);
  };
}
