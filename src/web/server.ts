/**
 * `dagctl webserver`: one Fastify instance serving Airflow 2.10's REST API v1 under /api/v1 and the web UI,
 * behind one authentication hook (src/web/auth). It reads and writes the same database as the CLI and the
 * scheduler; runs it queues are driven by the server itself while no scheduler is alive.
 */
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { WebContext } from './context.js';
import { registerApi } from './api/index.js';
import { RunDriver } from './api/driver.js';
import { registerOpenApi } from './api/openapi.js';
import { registerProblems } from './api/problem.js';
import { registerSchemas } from './api/schemas.js';
import { registerAuth } from './auth/index.js';
import { loadOrCreateSecret } from './auth/secret.js';
import type { ThrottleOptions } from './auth/throttle.js';
import { registerUi, type UiOptions } from './ui/index.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface WebServerOptions {
  /** Signs session and CSRF cookies (default: DAGCTL_HOME/webserver_secret_key, created once with mode 0600). */
  secret?: string;
  /** Largest request body in bytes; more is 413 (default 1 MiB). */
  bodyLimit?: number;
  /** Failed logins allowed per client address and username, and the lock-out window. */
  throttle?: ThrottleOptions;
  ui?: UiOptions;
}

export async function buildWebServer(ctx: WebContext, o: WebServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'webserver' }) as FastifyBaseLogger,
    // No line per request: actions (trigger, clear, mark, pause) and failures are logged by their handlers.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    // Unknown body fields are a 400 naming them (as Airflow's schemas refuse them), not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  try {
    registerProblems(app);
    registerSchemas(app);
    await registerOpenApi(app, VERSION);
    await registerAuth(app, ctx, { secret: o.secret ?? loadOrCreateSecret(ctx.home), ...(o.throttle ? { throttle: o.throttle } : {}) });
    const driver = new RunDriver(ctx);
    app.addHook('onClose', async () => driver.close());
    await registerApi(app, { ...ctx, driver });
    await registerUi(app, ctx, o.ui);
    await app.ready();
    return app;
  } catch (e) {
    await app.close();
    throw e;
  }
}

export interface RunningWebServer {
  app: FastifyInstance;
  /** http://host:port, with the port actually bound (port 0 picks a free one). */
  url: string;
  close(): Promise<void>;
}

export async function startWebServer(ctx: WebContext, o: WebServerOptions & { host: string; port: number }): Promise<RunningWebServer> {
  const app = await buildWebServer(ctx, o);
  await app.listen({ host: o.host, port: o.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
