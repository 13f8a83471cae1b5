/** GET /dags, GET|PATCH /dags/{dag_id}, GET /dags/{dag_id}/details, GET /dags/{dag_id}/tasks[/{task_id}]. */
import type { FastifyInstance } from 'fastify';
import type { DagRow } from '../../engine/service.js';
import type { ApiContext } from './context.js';
import { page, pageQuerySchema, sortBy, type PageQuery } from './paging.js';
import { badRequest, notFound } from './problem.js';
import { responses } from './schemas.js';
import { dagDetailView, dagView, taskView } from './views.js';

const dagIdParam = { type: 'object', required: ['dag_id'], properties: { dag_id: { type: 'string' } } } as const;

interface DagsQuery extends PageQuery {
  tags?: string[];
  only_active?: boolean;
  paused?: boolean;
  dag_id_pattern?: string;
}

const DAG_ORDER: Record<string, (d: DagRow) => string | boolean | null> = {
  dag_id: (d) => d.dag_id, is_paused: (d) => d.is_paused, next_dagrun: (d) => d.next_dagrun, last_parsed_time: (d) => d.last_parsed_time,
  fileloc: (d) => d.fileloc, description: (d) => d.description,
};

export function dagRow(api: ApiContext, dagId: string): DagRow {
  const d = api.engine.listDags().find((x) => x.dag_id === dagId);
  if (!d) throw notFound('DAG not found', `DAG with dag_id: '${dagId}' not found`);
  return d;
}

export function registerDags(app: FastifyInstance, api: ApiContext): void {
  const withErrors = (): Set<string> => new Set(api.engine.importErrors().map((e) => e.filename));
  const view = (d: DagRow, errs: Set<string>) => {
    let text: string | null = d.schedule_interval;
    try {
      text = api.engine.getDag(d.dag_id).scheduleText ?? d.schedule_interval;
    } catch {
      // a DAG no longer loaded: what the database has
    }
    return dagView(d, errs.has(d.fileloc), text);
  };

  app.get<{ Querystring: DagsQuery }>(
    '/dags',
    {
      schema: {
        summary: 'List DAGs',
        tags: ['DAG'],
        querystring: {
          type: 'object',
          properties: {
            ...pageQuerySchema,
            tags: { type: 'array', items: { type: 'string' } },
            only_active: { type: 'boolean', default: true },
            paused: { type: 'boolean' },
            dag_id_pattern: { type: 'string' },
            fields: { type: 'array', items: { type: 'string' } },
          },
        },
        response: responses({ 200: { $ref: 'DAGCollection#' } }, [400, 401]),
      },
    },
    async (request) => {
      const q = request.query;
      const pattern = q.dag_id_pattern?.toLowerCase();
      const rows = api.engine.listDags().filter(
        (d) =>
          (q.only_active === false || d.is_active) &&
          (q.paused === undefined || d.is_paused === q.paused) &&
          (!q.tags?.length || q.tags.some((t) => d.tags.includes(t))) &&
          (pattern === undefined || d.dag_id.toLowerCase().includes(pattern)),
      );
      const { items, total } = page(rows, q, DAG_ORDER, 'dag_id');
      const errs = withErrors();
      return { dags: items.map((d) => view(d, errs)), total_entries: total };
    },
  );

  app.get<{ Params: { dag_id: string } }>(
    '/dags/:dag_id',
    { schema: { summary: 'Get basic information about a DAG', tags: ['DAG'], params: dagIdParam, response: responses({ 200: { $ref: 'DAG#' } }) } },
    async (request) => {
      return view(dagRow(api, request.params.dag_id), withErrors());
    },
  );

  app.patch<{ Params: { dag_id: string }; Querystring: { update_mask?: string }; Body: { is_paused?: boolean } }>(
    '/dags/:dag_id',
    {
      config: { write: true },
      schema: {
        summary: 'Pause or unpause a DAG (update_mask=is_paused)',
        tags: ['DAG'],
        params: dagIdParam,
        querystring: { type: 'object', properties: { update_mask: { type: 'string' } } },
        body: { type: 'object', properties: { is_paused: { type: 'boolean' } } },
        response: responses({ 200: { $ref: 'DAG#' } }),
      },
    },
    async (request) => {
      const mask = request.query.update_mask?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
      if (mask.some((f) => f !== 'is_paused')) throw badRequest('Only `is_paused` field can be updated through the REST API (update_mask)');
      if (request.body?.is_paused === undefined) throw badRequest("body/is_paused is required: the only field that can be updated (e.g. {\"is_paused\": false})");
      const d = dagRow(api, request.params.dag_id);
      const row = api.engine.setPaused(d.dag_id, request.body.is_paused);
      // Runs queued while it was paused start now, driven here if no scheduler is alive.
      if (!row.is_paused) for (const r of api.engine.listDagRuns({ dagId: d.dag_id, state: 'queued' })) api.driver.drive(d.dag_id, r.run_id);
      request.log.info({ dagId: d.dag_id, paused: row.is_paused, user: request.user?.username }, row.is_paused ? 'paused DAG' : 'unpaused DAG');
      return view(row, withErrors());
    },
  );

  app.get<{ Params: { dag_id: string } }>(
    '/dags/:dag_id/details',
    { schema: { summary: 'Get a simplified representation of DAG', tags: ['DAG'], params: dagIdParam, response: responses({ 200: { $ref: 'DAGDetail#' } }) } },
    async (request) => {
      const d = dagRow(api, request.params.dag_id);
      return { ...dagDetailView(d, api.engine.getDag(d.dag_id)), has_import_errors: withErrors().has(d.fileloc) };
    },
  );

  app.get<{ Params: { dag_id: string }; Querystring: { order_by?: string } }>(
    '/dags/:dag_id/tasks',
    {
      schema: {
        summary: 'Get tasks for DAG',
        tags: ['DAG'],
        params: dagIdParam,
        querystring: { type: 'object', properties: { order_by: { type: 'string' } } },
        response: responses({ 200: { $ref: 'TaskCollection#' } }),
      },
    },
    async (request) => {
      const dag = api.engine.getDag(dagRow(api, request.params.dag_id).dag_id);
      const tasks = api.engine.listTasks(dag.dagId);
      const sorted = sortBy(tasks, request.query.order_by, { task_id: (t) => t.task_id, operator: (t) => t.operator, priority_weight: (t) => t.priority_weight, pool: (t) => t.pool }, 'task_id');
      return { tasks: sorted.map((t) => taskView(t, dag)), total_entries: tasks.length };
    },
  );

  app.get<{ Params: { dag_id: string; task_id: string } }>(
    '/dags/:dag_id/tasks/:task_id',
    {
      schema: {
        summary: 'Get simplified representation of a task',
        tags: ['DAG'],
        params: { type: 'object', required: ['dag_id', 'task_id'], properties: { dag_id: { type: 'string' }, task_id: { type: 'string' } } },
        response: responses({ 200: { $ref: 'Task#' } }),
      },
    },
    async (request) => {
      const dag = api.engine.getDag(dagRow(api, request.params.dag_id).dag_id);
      const t = api.engine.listTasks(dag.dagId).find((x) => x.task_id === request.params.task_id);
      if (!t) throw notFound('Task not found', `Task with id '${request.params.task_id}' not found in DAG '${dag.dagId}'`);
      return taskView(t, dag);
    },
  );
}
