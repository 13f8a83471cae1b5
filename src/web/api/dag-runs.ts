/**
 * GET|POST /dags/{dag_id}/dagRuns, GET|PATCH|DELETE /dags/{dag_id}/dagRuns/{dag_run_id}, POST …/clear,
 * POST /dags/~/dagRuns/list. A run queued here is driven by the server itself while no scheduler is alive.
 */
import type { FastifyInstance } from 'fastify';
import type { DagRunPage } from '../../engine/run-admin.js';
import type { DagRunRow, Json } from '../../engine/service.js';
import type { ApiContext } from './context.js';
import { dagRow } from './dags.js';
import { bounds, rangeSchema, RUN_DATE_FILTERS, type Ranges } from './filters.js';
import { PAGE_LIMIT_MAX, pageQuerySchema, type PageQuery } from './paging.js';
import { badRequest } from './problem.js';
import { responses } from './schemas.js';
import { runView, tiView } from './views.js';

const runParams = {
  type: 'object',
  required: ['dag_id', 'dag_run_id'],
  properties: { dag_id: { type: 'string' }, dag_run_id: { type: 'string' } },
} as const;
type RunParams = { dag_id: string; dag_run_id: string };

/** Airflow's order_by names -> the run columns the database sorts by; `id` is creation order. */
const RUN_ORDER: Record<string, DagRunPage['orderBy']> = {
  id: 'id', dag_id: 'dag_id', dag_run_id: 'run_id', run_id: 'run_id', state: 'state', run_type: 'run_type',
  execution_date: 'logical_date', logical_date: 'logical_date', start_date: 'start_date', end_date: 'end_date',
  data_interval_start: 'data_interval_start', data_interval_end: 'data_interval_end',
  updated_at: 'last_scheduling_decision', last_scheduling_decision: 'last_scheduling_decision', external_trigger: 'external_trigger',
};
/** Airflow's date filters -> run columns. */
const RUN_RANGES = { execution_date: 'logical_date', start_date: 'start_date', end_date: 'end_date', updated_at: 'last_scheduling_decision' } as const;

interface RunFilter extends PageQuery {
  state?: string[];
  ranges: Ranges;
}
type RunQuery = PageQuery & { state?: string[] };

/** A page of runs, sorted, filtered and paged by the database (1,000 runs cost what 100 do). */
function listRuns(api: ApiContext, dagIds: string[] | undefined, q: RunFilter) {
  const spec = q.order_by ?? 'id';
  const desc = spec.startsWith('-');
  const orderBy = RUN_ORDER[desc ? spec.slice(1) : spec];
  if (!orderBy) throw badRequest(`Ordering with '${desc ? spec.slice(1) : spec}' is disallowed or the attribute does not exist on the model`);
  const ranges: NonNullable<DagRunPage['ranges']> = {};
  for (const [name, col] of Object.entries(RUN_RANGES)) {
    const b = bounds(q.ranges, name);
    if (b) ranges[col] = b;
  }
  const { rows, total } = api.runs.page({
    ...(dagIds ? { dagIds } : {}),
    ...(q.state?.length ? { states: q.state } : {}),
    ranges, orderBy, desc,
    limit: Math.min(q.limit ?? PAGE_LIMIT_MAX, PAGE_LIMIT_MAX),
    offset: q.offset ?? 0,
  });
  return { dag_runs: rows.map((r) => runView(r, r.note)), total_entries: total };
}

interface NewRunBody {
  dag_run_id?: string | null;
  logical_date?: string | null;
  execution_date?: string | null;
  data_interval_start?: string | null;
  data_interval_end?: string | null;
  conf?: Record<string, Json>;
  note?: string | null;
}

export function registerDagRuns(app: FastifyInstance, api: ApiContext): void {
  const runOf = (p: RunParams): DagRunRow => {
    dagRow(api, p.dag_id);
    return api.engine.getDagRun(p.dag_id, p.dag_run_id);
  };
  const view = (r: DagRunRow) => runView(r, api.runs.note(r.dag_id, r.run_id));

  app.get<{ Params: { dag_id: string }; Querystring: RunQuery }>(
    '/dags/:dag_id/dagRuns',
    {
      schema: {
        summary: "List DAG runs (dag_id '~' for all DAGs)",
        tags: ['DAGRun'],
        params: { type: 'object', required: ['dag_id'], properties: { dag_id: { type: 'string' } } },
        querystring: {
          type: 'object',
          properties: { ...pageQuerySchema, ...rangeSchema(RUN_DATE_FILTERS), state: { type: 'array', items: { type: 'string' } }, fields: { type: 'array', items: { type: 'string' } } },
        },
        response: responses({ 200: { $ref: 'DAGRunCollection#' } }, [400, 401, 403, 404]),
      },
    },
    async (request) => {
      const { dag_id } = request.params;
      const q = request.query;
      const filter: RunFilter = { ...q, state: q.state, ranges: q };
      return listRuns(api, dag_id === '~' ? undefined : [dagRow(api, dag_id).dag_id], filter);
    },
  );

  app.post<{ Body: { dag_ids?: string[]; states?: string[]; page_limit?: number; page_offset?: number; order_by?: string } }>(
    '/dags/~/dagRuns/list',
    {
      schema: {
        summary: 'List DAG runs (batch)',
        tags: ['DAGRun'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dag_ids: { type: 'array', items: { type: 'string' } },
            states: { type: 'array', items: { type: 'string' } },
            page_limit: { type: 'integer', minimum: 1, default: 100 },
            page_offset: { type: 'integer', minimum: 0 },
            order_by: { type: 'string' },
            ...rangeSchema(['execution_date', 'start_date', 'end_date']),
          },
        },
        response: responses({ 200: { $ref: 'DAGRunCollection#' } }, [400, 401, 403]),
      },
    },
    async (request) => {
      const b = request.body ?? {};
      const known = new Set(api.engine.listDags().map((d) => d.dag_id));
      const dagIds = b.dag_ids?.filter((id) => known.has(id));
      const filter: RunFilter = { state: b.states, ranges: b, ...(b.order_by ? { order_by: b.order_by } : {}), ...(b.page_limit ? { limit: b.page_limit } : {}), ...(b.page_offset ? { offset: b.page_offset } : {}) };
      return listRuns(api, dagIds, filter);
    },
  );

  app.post<{ Params: { dag_id: string }; Body: NewRunBody }>(
    '/dags/:dag_id/dagRuns',
    {
      config: { write: true },
      schema: {
        summary: 'Trigger a new DAG run',
        tags: ['DAGRun'],
        params: { type: 'object', required: ['dag_id'], properties: { dag_id: { type: 'string' } } },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dag_run_id: { type: 'string', nullable: true, minLength: 1, maxLength: 250 },
            logical_date: { type: 'string', format: 'date-time', nullable: true },
            execution_date: { type: 'string', format: 'date-time', nullable: true },
            data_interval_start: { type: 'string', format: 'date-time', nullable: true },
            data_interval_end: { type: 'string', format: 'date-time', nullable: true },
            conf: { type: 'object', additionalProperties: true },
            note: { type: 'string', nullable: true },
          },
        },
        response: responses({ 200: { $ref: 'DAGRun#' } }, [400, 401, 403, 404, 409]),
      },
    },
    async (request) => {
      const b = request.body ?? {};
      const dag = dagRow(api, request.params.dag_id);
      const logical = b.logical_date ?? b.execution_date ?? undefined;
      if (b.logical_date && b.execution_date && Date.parse(b.logical_date) !== Date.parse(b.execution_date)) {
        throw badRequest('logical_date conflicts with execution_date: send one of them (logical_date)');
      }
      if (b.data_interval_start || b.data_interval_end) {
        throw badRequest('data_interval_start/data_interval_end: dagctl derives a manual run\'s data interval from its logical date; leave them out');
      }
      const run = api.engine.triggerDagRun(dag.dag_id, {
        ...(b.conf !== undefined ? { conf: b.conf } : {}),
        ...(logical ? { logicalDate: new Date(logical) } : {}),
        ...(b.dag_run_id ? { runId: b.dag_run_id } : {}),
      });
      if (b.note) api.runs.setNote(run.dag_id, run.run_id, b.note);
      request.log.info({ dagId: run.dag_id, runId: run.run_id, user: request.user?.username }, 'triggered DAG run');
      api.driver.drive(run.dag_id, run.run_id);
      return runView(run, b.note ?? null);
    },
  );

  app.get<{ Params: RunParams }>(
    '/dags/:dag_id/dagRuns/:dag_run_id',
    { schema: { summary: 'Get a DAG run', tags: ['DAGRun'], params: runParams, response: responses({ 200: { $ref: 'DAGRun#' } }) } },
    async (request) => view(runOf(request.params)),
  );

  app.patch<{ Params: RunParams; Body: { state: 'success' | 'failed' | 'queued' } }>(
    '/dags/:dag_id/dagRuns/:dag_run_id',
    {
      config: { write: true },
      schema: {
        summary: "Modify a DAG run's state",
        tags: ['DAGRun'],
        params: runParams,
        body: { type: 'object', required: ['state'], additionalProperties: false, properties: { state: { type: 'string', enum: ['success', 'failed', 'queued'] } } },
        response: responses({ 200: { $ref: 'DAGRun#' } }, [400, 401, 403, 404, 409]),
      },
    },
    async (request) => {
      const run = runOf(request.params);
      api.runs.setState(run.dag_id, run.run_id, request.body.state);
      if (request.body.state === 'queued') api.driver.drive(run.dag_id, run.run_id);
      request.log.info({ dagId: run.dag_id, runId: run.run_id, state: request.body.state, user: request.user?.username }, 'set DAG run state');
      return view(api.engine.getDagRun(run.dag_id, run.run_id));
    },
  );

  app.delete<{ Params: RunParams }>(
    '/dags/:dag_id/dagRuns/:dag_run_id',
    { config: { write: true }, schema: { summary: 'Delete a DAG run', tags: ['DAGRun'], params: runParams, response: responses({ 204: { type: 'null' } }) } },
    async (request, reply) => {
      const run = runOf(request.params);
      api.runs.delete(run.dag_id, run.run_id);
      request.log.info({ dagId: run.dag_id, runId: run.run_id, user: request.user?.username }, 'deleted DAG run');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: RunParams; Body: { dry_run?: boolean } }>(
    '/dags/:dag_id/dagRuns/:dag_run_id/clear',
    {
      config: { write: true },
      schema: {
        summary: 'Clear a DAG run (all its task instances); dry_run defaults to true',
        tags: ['DAGRun'],
        params: runParams,
        body: { type: 'object', additionalProperties: false, properties: { dry_run: { type: 'boolean', default: true } } },
        // The collection first: it is the one with a required field, so the serializer tells them apart.
        response: responses({ 200: { anyOf: [{ $ref: 'TaskInstanceCollection#' }, { $ref: 'DAGRun#' }] } }),
      },
    },
    async (request) => {
      const run = runOf(request.params);
      const dryRun = request.body?.dry_run ?? true;
      const tis = api.engine.clearTaskInstances(run.dag_id, { runId: run.run_id, dryRun });
      if (dryRun) return { task_instances: tis.map((t) => tiView(t, run.logical_date)), total_entries: tis.length };
      request.log.info({ dagId: run.dag_id, runId: run.run_id, cleared: tis.length, user: request.user?.username }, 'cleared DAG run');
      api.driver.drive(run.dag_id, run.run_id);
      return view(api.engine.getDagRun(run.dag_id, run.run_id));
    },
  );
}
