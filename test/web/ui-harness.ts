// The UI on a small Fastify instance: a real engine on a temp DAGCTL_HOME with the web fixture DAGs, real
// cookies and CSRF protection, and `request.user` set from a test header (the real server's login is tested
// in browser.test.ts). Listens on 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { openRunAdmin } from '../../src/engine/run-admin.js';
import { openEngine, systemClock, type Engine } from '../../src/engine/service.js';
import { openUserStore } from '../../src/engine/users.js';
import { ROLES, type Role, type WebContext } from '../../src/web/context.js';
import { registerUi } from '../../src/web/ui/index.js';

export const WEB_DAGS = path.resolve(import.meta.dirname, '../fixtures/web/dags');
export const silent = pino({ level: 'silent' });

export interface UiServer {
  url: string;
  app: FastifyInstance;
  engine: Engine;
  home: string;
  /** GET as a user of this role (default Admin). */
  get(p: string, role?: Role): Promise<Response>;
  close(): Promise<void>;
}

export async function uiServer(o: { pollMs?: number } = {}): Promise<UiServer> {
  const home = mkdtempSync(path.join(tmpdir(), 'dagctl-web-'));
  const engine = await openEngine({ home, dagsFolders: [WEB_DAGS], parallelism: 2, logger: silent, heartbeatS: 1 });
  const app = Fastify({ logger: false });
  await app.register(fastifyCookie, { secret: 'test-secret-test-secret-test-secret' });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/cookie' });
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (req) => {
    const role = req.headers['x-test-role'];
    req.user = { username: 'tester', role: ROLES.includes(role as Role) ? (role as Role) : 'Admin' };
  });
  const users = openUserStore(home);
  const runs = openRunAdmin(home);
  const ctx: WebContext = { engine, logger: silent, clock: systemClock, home, users, runs };
  await registerUi(app, ctx, { pollMs: o.pollMs ?? 50, serveUrl: 'http://127.0.0.1:8000/' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url, app, engine, home,
    get: (p, role = 'Admin') => fetch(`${url}${p}`, { headers: { 'x-test-role': role, accept: 'text/html' } }),
    async close() {
      await app.close();
      await engine.close();
      runs.close();
      users.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
