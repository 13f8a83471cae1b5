/**
 * GET …/taskInstances/{task_id}/logs/{task_try_number}: JSON `{content, continuation_token}` or, with
 * `Accept: text/plain`, the text itself. The token is where the returned text ended: a client following a
 * running attempt passes it back and gets only what was written since. The file read is always the one
 * the engine names for that attempt, and only ever under DAGCTL_HOME/logs.
 */
import path from 'node:path';
import { negotiate } from '@fastify/accept-negotiator';
import type { FastifyInstance } from 'fastify';
import { taskLogPath } from '../../engine/executor/task-log.js';
import type { ApiContext } from './context.js';
import { dagRow } from './dags.js';
import { badRequest, notFound } from './problem.js';
import { responses } from './schemas.js';

const str = { type: 'string' } as const;

interface LogParams {
  dag_id: string;
  dag_run_id: string;
  task_id: string;
  task_try_number: number;
}

const encodeToken = (pos: number): string => Buffer.from(JSON.stringify({ log_pos: pos })).toString('base64url');
function decodeToken(token: string): number {
  try {
    const pos = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { log_pos?: unknown }).log_pos;
    if (typeof pos === 'number' && Number.isInteger(pos) && pos >= 0) return pos;
  } catch {
    // fall through: the same answer as for a token that parses to something else
  }
  throw badRequest('token: Bad Signature. Please use only the tokens provided by the API.');
}

export function registerLogs(app: FastifyInstance, api: ApiContext): void {
  const logsRoot = path.resolve(api.home, 'logs');
  app.get<{ Params: LogParams; Querystring: { full_content?: boolean; map_index?: number; token?: string } }>(
    '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/logs/:task_try_number',
    {
      schema: {
        summary: 'Get the log of one try of a task instance (JSON, or text/plain)',
        tags: ['TaskInstance'],
        params: {
          type: 'object',
          required: ['dag_id', 'dag_run_id', 'task_id', 'task_try_number'],
          properties: { dag_id: str, dag_run_id: str, task_id: str, task_try_number: { type: 'integer' } },
        },
        querystring: { type: 'object', properties: { full_content: { type: 'boolean' }, map_index: { type: 'integer' }, token: str } },
        produces: ['application/json', 'text/plain'],
        response: responses({ 200: { type: 'object', properties: { content: str, continuation_token: str } } }),
      },
    },
    async (request, reply) => {
      const p = request.params;
      dagRow(api, p.dag_id);
      const run = api.engine.getDagRun(p.dag_id, p.dag_run_id);
      const mapIndex = request.query.map_index ?? -1;
      const ti = api.engine.taskInstance(run.dag_id, run.run_id, p.task_id, mapIndex);
      if (p.task_try_number < 1 || p.task_try_number > ti.try_number) {
        throw notFound('Task instance try not found', `Task instance ${p.task_id} of run ${p.dag_run_id} has ${ti.try_number} tr${ti.try_number === 1 ? 'y' : 'ies'}; there is no try ${p.task_try_number}`);
      }
      const file = path.resolve(taskLogPath(api.home, { dagId: run.dag_id, runId: run.run_id, taskId: ti.task_id, mapIndex, tryNumber: p.task_try_number }));
      if (!file.startsWith(logsRoot + path.sep)) throw badRequest('dag_run_id: this run id cannot name a log file under the log folder');
      const text = api.engine.taskLog(run.dag_id, run.run_id, ti.task_id, p.task_try_number, mapIndex);
      const from = request.query.token === undefined || request.query.full_content ? 0 : decodeToken(request.query.token);
      const bytes = Buffer.from(text, 'utf8');
      const content = bytes.subarray(Math.min(from, bytes.length)).toString('utf8');
      // Text only when the client prefers it to JSON (axios sends `application/json, text/plain, */*`).
      if (negotiate(request.headers.accept ?? '', ['application/json', 'text/plain']) === 'text/plain') return reply.type('text/plain; charset=utf-8').send(content);
      return { content, continuation_token: encodeToken(bytes.length) };
    },
  );
}
