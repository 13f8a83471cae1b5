/**
 * GET /health (also at /api/v1/health, no login), GET /version, GET /config (403: Airflow's default
 * `expose_config = False`) and GET /importErrors.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { page, pageQuerySchema, type PageQuery } from './paging.js';
import { HttpProblem } from './problem.js';
import { responses } from './schemas.js';
import { importErrorView } from './views.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function health(api: ApiContext) {
  let db: 'healthy' | 'unhealthy' = 'healthy';
  let alive = false;
  try {
    alive = api.engine.schedulerAlive();
  } catch {
    db = 'unhealthy';
  }
  return {
    metadatabase: { status: db },
    scheduler: { status: alive ? 'healthy' : 'unhealthy', latest_scheduler_heartbeat: api.runs.schedulerHeartbeat() },
    triggerer: { status: null, latest_triggerer_heartbeat: null },
    dag_processor: { status: null, latest_dag_processor_heartbeat: null },
  };
}

/** /health at the server's root, as Airflow serves it (no login). */
export function registerRootHealth(app: FastifyInstance, api: ApiContext): void {
  app.get('/health', { schema: { hide: true, response: { 200: { $ref: 'HealthInfo#' } } } }, async () => health(api));
}

export function registerMonitor(app: FastifyInstance, api: ApiContext): void {
  app.get('/health', { schema: { summary: 'Get instance status (no login needed)', tags: ['Monitoring'], security: [], response: { 200: { $ref: 'HealthInfo#' } } } }, async () => health(api));
  app.get('/version', { schema: { summary: 'Get version information', tags: ['Monitoring'], response: responses({ 200: { $ref: 'VersionInfo#' } }, [401]) } }, async () => ({
    version: VERSION,
    git_version: null,
  }));
  app.get('/config', { schema: { summary: 'Get current configuration (not exposed: 403)', tags: ['Config'], response: responses({}, [401, 403]) } }, async () => {
    throw new HttpProblem(403, 'Forbidden', 'Your Airflow administrator chose not to expose the configuration, most likely for security reasons.');
  });
  app.get<{ Querystring: PageQuery }>(
    '/importErrors',
    {
      schema: {
        summary: 'List import errors',
        tags: ['ImportError'],
        querystring: { type: 'object', properties: pageQuerySchema },
        response: responses({ 200: { $ref: 'ImportErrorCollection#' } }, [400, 401, 403]),
      },
    },
    async (request) => {
      // Ids are positions in filename order: stable while the set of broken files stays the same.
      const rows = [...api.engine.importErrors()].sort((a, b) => (a.filename < b.filename ? -1 : 1)).map((e, i) => importErrorView(e, i + 1));
      const { items, total } = page(rows, request.query, { import_error_id: (e) => e.import_error_id, filename: (e) => e.filename, timestamp: (e) => e.timestamp }, 'import_error_id');
      return { import_errors: items, total_entries: total };
    },
  );
}
