/**
 * The web UI: server-rendered pages (Airflow's URLs where it has them), static CSS/JS under /static/, and two
 * small JSON/SSE endpoints under /ui/ the page scripts use. Actions go to the REST API from the page.
 * The server registers this after its authentication hook, cookies and CSRF protection.
 */
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { registerGridStream } from './grid-stream.js';
import { registerPages } from './routes.js';

export interface UiOptions {
  /** How often a live grid or a followed log asks the store (ms; default 1000). */
  pollMs?: number;
  /** Where the model is served (the link on a continuous_retraining run); default DAGCTL_SERVE_URL in `env`, else http://127.0.0.1:8000/. */
  serveUrl?: string;
  /** Where DAGCTL_SERVE_URL is read from when serveUrl is not given (default process.env, as the operators do). */
  env?: NodeJS.ProcessEnv;
}

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

export async function registerUi(app: FastifyInstance, ctx: WebContext, o: UiOptions = {}): Promise<void> {
  if (!app.hasReplyDecorator('generateCsrf')) {
    throw new Error('registerUi needs @fastify/csrf-protection registered first (the pages embed its token for their actions)');
  }
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', decorateReply: false, maxAge: '1h' });
  const pollMs = o.pollMs ?? 1000;
  registerGridStream(app, ctx, { pollMs });
  registerPages(app, ctx, { pollMs, serveUrl: o.serveUrl ?? ((o.env ?? process.env).DAGCTL_SERVE_URL || 'http://127.0.0.1:8000/') });
}
