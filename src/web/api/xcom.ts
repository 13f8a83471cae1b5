/** GET …/taskInstances/{task_id}/xcomEntries[/{xcom_key}]. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { dagRow } from './dags.js';
import { page, pageQuerySchema, type PageQuery } from './paging.js';
import { notFound } from './problem.js';
import { responses } from './schemas.js';
import { xcomItemView, xcomValue } from './views.js';

const str = { type: 'string' } as const;
const tiParams = { dag_id: str, dag_run_id: str, task_id: str } as const;
type TiParams = { dag_id: string; dag_run_id: string; task_id: string };

export function registerXcom(app: FastifyInstance, api: ApiContext): void {
  /** The run, once the task instance is known to exist (without a map index: any instance of the task, mapped or not). */
  const tiOf = (p: TiParams, mapIndex?: number) => {
    dagRow(api, p.dag_id);
    const run = api.engine.getDagRun(p.dag_id, p.dag_run_id);
    if (mapIndex !== undefined) api.engine.taskInstance(run.dag_id, run.run_id, p.task_id, mapIndex);
    else if (!api.engine.taskInstances(run.dag_id, run.run_id).some((t) => t.task_id === p.task_id)) throw notFound('Task instance not found', `Task instance ${p.task_id} of run ${p.dag_run_id} not found`);
    return run;
  };

  app.get<{ Params: TiParams; Querystring: PageQuery & { map_index?: number; xcom_key?: string } }>(
    '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries',
    {
      schema: {
        summary: 'List the XCom entries of a task instance',
        tags: ['XCom'],
        params: { type: 'object', required: ['dag_id', 'dag_run_id', 'task_id'], properties: tiParams },
        querystring: { type: 'object', properties: { ...pageQuerySchema, map_index: { type: 'integer' }, xcom_key: str } },
        response: responses({ 200: { $ref: 'XComCollectionItemCollection#' } }),
      },
    },
    async (request) => {
      const p = request.params;
      const q = request.query;
      const run = tiOf(p, q.map_index);
      const rows = api.runs
        .xcoms({ dagId: run.dag_id, runId: run.run_id, taskId: p.task_id, ...(q.map_index !== undefined ? { mapIndex: q.map_index } : {}) })
        .filter((x) => q.xcom_key === undefined || x.key === q.xcom_key);
      const { items, total } = page(rows, q, { key: (x) => x.key, timestamp: (x) => x.timestamp, map_index: (x) => x.map_index }, 'key');
      return { xcom_entries: items.map((x) => xcomItemView(x, run.logical_date)), total_entries: total };
    },
  );

  app.get<{ Params: TiParams & { xcom_key: string }; Querystring: { map_index?: number; deserialize?: boolean; stringify?: boolean } }>(
    '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries/:xcom_key',
    {
      schema: {
        summary: 'Get an XCom entry (stringify=false for the JSON value itself)',
        tags: ['XCom'],
        params: { type: 'object', required: ['dag_id', 'dag_run_id', 'task_id', 'xcom_key'], properties: { ...tiParams, xcom_key: str } },
        querystring: { type: 'object', properties: { map_index: { type: 'integer', default: -1 }, deserialize: { type: 'boolean', default: false }, stringify: { type: 'boolean', default: true } } },
        response: responses({ 200: { $ref: 'XCom#' } }),
      },
    },
    async (request) => {
      const p = request.params;
      const run = tiOf(p, request.query.map_index ?? -1);
      const x = api.runs.xcoms({ dagId: run.dag_id, runId: run.run_id, taskId: p.task_id, mapIndex: request.query.map_index ?? -1 }).find((r) => r.key === p.xcom_key);
      if (!x) throw notFound('XCom entry not found', `XCom entry with key '${p.xcom_key}' not found for task '${p.task_id}' of run '${p.dag_run_id}'`);
      return { ...xcomItemView(x, run.logical_date), value: xcomValue(x.value, request.query.stringify ?? true) };
    },
  );
}
