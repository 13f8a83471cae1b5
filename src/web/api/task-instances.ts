/**
 * GET …/dagRuns/{dag_run_id}/taskInstances[/{task_id}], POST /dags/{dag_id}/clearTaskInstances and
 * POST /dags/{dag_id}/updateTaskInstancesState (Airflow's `dry_run` defaults to true on both).
 */
import type { FastifyInstance } from 'fastify';
import type { DagRunRow, TaskInstanceRow, TaskRow } from '../../engine/service.js';
import type { ApiContext } from './context.js';
import { dagRow } from './dags.js';
import { inRange, rangeSchema } from './filters.js';
import { page, pageQuerySchema, type PageQuery } from './paging.js';
import { badRequest, notFound } from './problem.js';
import { responses } from './schemas.js';
import { tiRefView, tiView } from './views.js';

const str = { type: 'string' } as const;
const runParams = { type: 'object', required: ['dag_id', 'dag_run_id'], properties: { dag_id: str, dag_run_id: str } } as const;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface TiQuery extends PageQuery {
  state?: string[];
  pool?: string[];
  duration_gte?: number;
  duration_lte?: number;
}

/** Task ids reachable from `taskId` through `next` (upstream or downstream ids), transitively. */
function closure(tasks: Map<string, TaskRow>, taskId: string, next: (t: TaskRow) => string[]): string[] {
  const seen = new Set<string>();
  const todo = [...next(tasks.get(taskId)!)];
  while (todo.length) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(tasks.get(id) ? next(tasks.get(id)!) : []));
  }
  return [...seen];
}

export function registerTaskInstances(app: FastifyInstance, api: ApiContext): void {
  const runOf = (dagId: string, runId: string): DagRunRow => {
    dagRow(api, dagId);
    return api.engine.getDagRun(dagId, runId);
  };
  const refs = (dagId: string, tis: readonly TaskInstanceRow[]) => {
    const dates = new Map<string, string>();
    const dateOf = (runId: string): string => dates.get(runId) ?? dates.set(runId, api.engine.getDagRun(dagId, runId).logical_date).get(runId)!;
    return { task_instances: tis.map((t) => tiRefView(t, dateOf(t.run_id))) };
  };

  app.get<{ Params: { dag_id: string; dag_run_id: string }; Querystring: TiQuery }>(
    '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances',
    {
      schema: {
        summary: 'List task instances of a DAG run',
        tags: ['TaskInstance'],
        params: runParams,
        querystring: {
          type: 'object',
          properties: {
            ...pageQuerySchema, ...rangeSchema(['start_date', 'end_date']),
            state: { type: 'array', items: str }, pool: { type: 'array', items: str },
            duration_gte: { type: 'number' }, duration_lte: { type: 'number' },
          },
        },
        response: responses({ 200: { $ref: 'TaskInstanceCollection#' } }),
      },
    },
    async (request) => {
      const q = request.query;
      const run = runOf(request.params.dag_id, request.params.dag_run_id);
      const rows = api.engine.taskInstances(run.dag_id, run.run_id).filter(
        (t) =>
          (!q.state?.length || q.state.includes(t.state ?? 'none')) &&
          (!q.pool?.length || q.pool.includes(t.pool)) &&
          (q.duration_gte === undefined || (t.duration ?? -1) >= q.duration_gte) &&
          (q.duration_lte === undefined || (t.duration !== null && t.duration <= q.duration_lte)) &&
          inRange(q, 'start_date', t.start_date) && inRange(q, 'end_date', t.end_date),
      );
      // Default order: the DAG's (topological), as the engine lists them.
      const position = new Map(rows.map((t, i) => [t, i]));
      const { items, total } = page(rows, q, { topological: (t) => position.get(t)!, task_id: (t) => t.task_id, state: (t) => t.state, start_date: (t) => t.start_date, end_date: (t) => t.end_date, duration: (t) => t.duration, priority_weight: (t) => t.priority_weight, map_index: (t) => t.map_index }, 'topological');
      return { task_instances: items.map((t) => tiView(t, run.logical_date)), total_entries: total };
    },
  );

  app.get<{ Params: { dag_id: string; dag_run_id: string; task_id: string } }>(
    '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id',
    {
      schema: {
        summary: 'Get a task instance',
        tags: ['TaskInstance'],
        params: { type: 'object', required: ['dag_id', 'dag_run_id', 'task_id'], properties: { dag_id: str, dag_run_id: str, task_id: str } },
        response: responses({ 200: { $ref: 'TaskInstance#' } }),
      },
    },
    async (request) => {
      const run = runOf(request.params.dag_id, request.params.dag_run_id);
      return tiView(api.engine.taskInstance(run.dag_id, run.run_id, request.params.task_id), run.logical_date);
    },
  );

  // A mapped task's instances (Airflow's listMapped), and one of them by map index.
  const tiParams = { type: 'object', required: ['dag_id', 'dag_run_id', 'task_id'], properties: { dag_id: str, dag_run_id: str, task_id: str } } as const;
  app.get<{ Params: { dag_id: string; dag_run_id: string; task_id: string }; Querystring: TiQuery }>(
    '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/listMapped',
    {
      schema: {
        summary: 'List the task instances of a mapped task',
        tags: ['TaskInstance'],
        params: tiParams,
        querystring: { type: 'object', properties: { ...pageQuerySchema, state: { type: 'array', items: str } } },
        response: responses({ 200: { $ref: 'TaskInstanceCollection#' } }),
      },
    },
    async (request) => {
      const q = request.query;
      const run = runOf(request.params.dag_id, request.params.dag_run_id);
      const task = api.engine.listTasks(run.dag_id).find((t) => t.task_id === request.params.task_id);
      if (!task) throw notFound('Task not found', `Task ${request.params.task_id} not found in DAG ${run.dag_id}`);
      if (!task.is_mapped) throw notFound('Task instance not found', `Task ${task.task_id} is not mapped: GET …/taskInstances/${task.task_id} instead`);
      const rows = api.engine.taskInstances(run.dag_id, run.run_id).filter((t) => t.task_id === task.task_id && t.map_index >= 0 && (!q.state?.length || q.state.includes(t.state ?? 'none')));
      const { items, total } = page(rows, q, { map_index: (t) => t.map_index, state: (t) => t.state, start_date: (t) => t.start_date, end_date: (t) => t.end_date, duration: (t) => t.duration }, 'map_index');
      return { task_instances: items.map((t) => tiView(t, run.logical_date)), total_entries: total };
    },
  );
  app.get<{ Params: { dag_id: string; dag_run_id: string; task_id: string; map_index: number } }>(
    '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/:map_index',
    {
      schema: {
        summary: 'Get one task instance of a mapped task',
        tags: ['TaskInstance'],
        params: { ...tiParams, required: [...tiParams.required, 'map_index'], properties: { ...tiParams.properties, map_index: { type: 'integer' } } },
        response: responses({ 200: { $ref: 'TaskInstance#' } }),
      },
    },
    async (request) => {
      const p = request.params;
      const run = runOf(p.dag_id, p.dag_run_id);
      return tiView(api.engine.taskInstance(run.dag_id, run.run_id, p.task_id, p.map_index), run.logical_date);
    },
  );

  interface ClearBody {
    dry_run?: boolean; task_ids?: string[]; dag_run_id?: string | null; start_date?: string; end_date?: string;
    only_failed?: boolean; only_running?: boolean; include_upstream?: boolean; include_downstream?: boolean;
    include_future?: boolean; include_past?: boolean; include_subdags?: boolean; include_parentdag?: boolean; reset_dag_runs?: boolean;
  }
  app.post<{ Params: { dag_id: string }; Body: ClearBody }>(
    '/dags/:dag_id/clearTaskInstances',
    {
      config: { write: true },
      schema: {
        summary: 'Clear task instances (dry_run defaults to true)',
        tags: ['TaskInstance'],
        params: { type: 'object', required: ['dag_id'], properties: { dag_id: str } },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dry_run: { type: 'boolean', default: true }, task_ids: { type: 'array', minItems: 1, items: str },
            dag_run_id: { type: 'string', nullable: true }, start_date: { type: 'string', format: 'date-time' }, end_date: { type: 'string', format: 'date-time' },
            only_failed: { type: 'boolean', default: true }, only_running: { type: 'boolean', default: false },
            include_upstream: { type: 'boolean', default: false }, include_downstream: { type: 'boolean', default: false },
            include_future: { type: 'boolean', default: false }, include_past: { type: 'boolean', default: false },
            include_subdags: { type: 'boolean' }, include_parentdag: { type: 'boolean' }, reset_dag_runs: { type: 'boolean' },
          },
        },
        response: responses({ 200: { $ref: 'TaskInstanceReferenceCollection#' } }),
      },
    },
    async (request) => {
      const b = request.body ?? {};
      const dag = dagRow(api, request.params.dag_id);
      if (b.only_running) throw badRequest('only_running: clearing only running task instances is not supported by dagctl; leave it false');
      let runId = b.dag_run_id ?? undefined;
      let start = b.start_date ? new Date(b.start_date) : undefined;
      let end = b.end_date ? new Date(b.end_date) : undefined;
      if (runId !== undefined && (b.include_future || b.include_past)) {
        // Past and future runs of that one: a logical-date range around it.
        const at = new Date(runOf(dag.dag_id, runId).logical_date);
        if (!b.include_past) start = at;
        if (!b.include_future) end = at;
        runId = undefined;
      }
      const tis = api.engine.clearTaskInstances(dag.dag_id, {
        dryRun: b.dry_run ?? true,
        onlyFailed: b.only_failed ?? true,
        upstream: b.include_upstream ?? false,
        downstream: b.include_downstream ?? false,
        ...(b.task_ids ? { taskRegex: `^(?:${b.task_ids.map(escapeRe).join('|')})$` } : {}),
        ...(runId !== undefined ? { runId } : {}),
        ...(start ? { start } : {}),
        ...(end ? { end } : {}),
      });
      if (!(b.dry_run ?? true)) {
        request.log.info({ dagId: dag.dag_id, cleared: tis.length, user: request.user?.username }, 'cleared task instances');
        for (const r of new Set(tis.map((t) => t.run_id))) api.driver.drive(dag.dag_id, r);
      }
      return refs(dag.dag_id, tis);
    },
  );

  interface UpdateBody {
    dag_run_id?: string; execution_date?: string; task_id: string; new_state: 'success' | 'failed' | 'skipped'; dry_run?: boolean;
    include_upstream?: boolean; include_downstream?: boolean; include_future?: boolean; include_past?: boolean;
  }
  app.post<{ Params: { dag_id: string }; Body: UpdateBody }>(
    '/dags/:dag_id/updateTaskInstancesState',
    {
      config: { write: true },
      schema: {
        summary: 'Set a state of task instances (mark success/failed/skipped; dry_run defaults to true)',
        tags: ['TaskInstance'],
        params: { type: 'object', required: ['dag_id'], properties: { dag_id: str } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['task_id', 'new_state'],
          properties: {
            dag_run_id: str, execution_date: { type: 'string', format: 'date-time' }, task_id: str,
            new_state: { type: 'string', enum: ['success', 'failed', 'skipped'] }, dry_run: { type: 'boolean', default: true },
            include_upstream: { type: 'boolean' }, include_downstream: { type: 'boolean' }, include_future: { type: 'boolean' }, include_past: { type: 'boolean' },
          },
        },
        response: responses({ 200: { $ref: 'TaskInstanceReferenceCollection#' } }),
      },
    },
    async (request) => {
      const b = request.body;
      const dag = dagRow(api, request.params.dag_id);
      if ((b.dag_run_id === undefined) === (b.execution_date === undefined)) throw badRequest('send exactly one of dag_run_id and execution_date');
      const runs = api.engine.listDagRuns({ dagId: dag.dag_id });
      const at = b.execution_date === undefined ? undefined : Date.parse(b.execution_date);
      const run = b.dag_run_id !== undefined ? runOf(dag.dag_id, b.dag_run_id) : runs.find((r) => Date.parse(r.logical_date) === at);
      if (!run) throw notFound('DAGRun not found', `Task instance not found for task '${b.task_id}' on execution_date ${b.execution_date}`);
      const tasks = new Map(api.engine.listTasks(dag.dag_id).map((t) => [t.task_id, t]));
      if (!tasks.has(b.task_id)) throw notFound('Task not found', `Task '${b.task_id}' not found in DAG '${dag.dag_id}'`);
      const taskIds = new Set([b.task_id, ...(b.include_upstream ? closure(tasks, b.task_id, (t) => t.upstream_task_ids) : []), ...(b.include_downstream ? closure(tasks, b.task_id, (t) => t.downstream_task_ids) : [])]);
      const t0 = Date.parse(run.logical_date);
      const inScope = runs.filter((r) => r.run_id === run.run_id || (b.include_future && Date.parse(r.logical_date) > t0) || (b.include_past && Date.parse(r.logical_date) < t0));
      // Every instance of a mapped task; a removed one (beyond its current list) is not part of the run any more.
      const affected = inScope.flatMap((r) => api.engine.taskInstances(dag.dag_id, r.run_id).filter((t) => taskIds.has(t.task_id) && t.state !== b.new_state && t.state !== 'removed'));
      if (!(b.dry_run ?? true)) {
        const marked = affected.map((t) => api.engine.markTaskInstance(dag.dag_id, t.run_id, t.task_id, b.new_state, t.map_index));
        request.log.info({ dagId: dag.dag_id, state: b.new_state, marked: marked.length, user: request.user?.username }, 'set task instance states');
        for (const r of inScope) if (r.state === 'queued' || r.state === 'running') api.driver.drive(dag.dag_id, r.run_id);
        return refs(dag.dag_id, marked);
      }
      return refs(dag.dag_id, affected);
    },
  );
}
