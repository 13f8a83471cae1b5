/**
 * Errors as Airflow's REST API sends them: RFC 7807 problem JSON ({type, title, status, detail}) with
 * content-type application/problem+json, and werkzeug's upper-case reason phrases on the status line
 * (`404 NOT FOUND`, `403 FORBIDDEN`), which Airflow's own smoke scripts look for. Never a stack trace.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const DOCS = 'https://airflow.apache.org/docs/apache-airflow/2.10.0/stable-rest-api-ref.html#section/Errors/';
const TYPE_BY_STATUS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthenticated', 403: 'PermissionDenied', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'AlreadyExists', 500: 'Unknown',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** A problem to answer with; thrown from handlers and turned into the response by the error handler. */
export class HttpProblem extends Error {
  constructor(readonly status: number, readonly title: string, readonly detail: string, readonly headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const notFound = (title: string, detail: string): HttpProblem => new HttpProblem(404, title, detail);
export const badRequest = (detail: string): HttpProblem => new HttpProblem(400, 'Bad Request', detail);

export function problemBody(status: number, title: string, detail: string): Problem {
  const name = TYPE_BY_STATUS[status];
  return { type: name ? DOCS + name : 'about:blank', title, status, detail };
}

export function sendProblem(reply: FastifyReply, status: number, title: string, detail: string): FastifyReply {
  return reply.code(status).type('application/problem+json').send(problemBody(status, title, detail));
}

/** Engine error codes the API answers with their own status (everything else is a 500). */
const ENGINE_STATUS: Record<string, [number, string]> = {
  dag_not_found: [404, 'DAG not found'],
  dag_run_not_found: [404, 'DAGRun not found'],
  task_not_found: [404, 'Task not found'],
  task_instance_not_found: [404, 'Task instance not found'],
  dag_run_exists: [409, 'DAGRun already exists'],
  invalid_conf: [400, 'Bad Request'],
  invalid_run_id: [400, 'Bad Request'],
  illegal_transition: [409, 'Conflict'],
  dag_paused: [409, 'Conflict'],
};

function toProblem(err: FastifyError & { code?: string; hint?: string }): { status: number; title: string; detail: string; headers?: Record<string, string> } | undefined {
  if (err instanceof HttpProblem) return { status: err.status, title: err.title, detail: err.detail, headers: err.headers };
  if (err.validation) return { status: 400, title: 'Bad Request', detail: err.message };
  const known = err.code ? ENGINE_STATUS[err.code] : undefined;
  if (known) return { status: known[0], title: known[1], detail: err.hint ? `${err.message} (${err.hint})` : err.message };
  // fastify's own client errors: bad JSON (400), body over the limit (413), unsupported media type (415), rate limit (429)
  const sc = err.statusCode;
  if (sc !== undefined && sc >= 400 && sc < 500) return { status: sc, title: STATUS_CODES[sc] ?? 'Client Error', detail: err.message };
  return undefined;
}

export function registerProblems(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const p = toProblem(err);
    if (!p) {
      request.log.error({ err }, 'request failed');
      return sendProblem(reply, 500, 'Internal Server Error', 'The server encountered an internal error; see its log.');
    }
    if (p.headers) reply.headers(p.headers);
    return sendProblem(reply, p.status, p.title, p.detail);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 404, 'Not Found', `The requested URL ${request.url.split('?')[0]} was not found on the server.`),
  );
  // Airflow's server (werkzeug) spells reason phrases in capitals: `404 NOT FOUND`, `403 FORBIDDEN`.
  app.addHook('onSend', async (_request, reply) => {
    const phrase = STATUS_CODES[reply.statusCode];
    if (phrase) reply.raw.statusMessage = phrase.toUpperCase();
  });
}
