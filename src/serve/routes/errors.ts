import type { FastifyError, FastifyInstance } from 'fastify';
import { ServeError } from '../errors.js';

/** Fastify's own error codes that are the client's fault, and how we name them. */
const FASTIFY_CODES: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_FILES_LIMIT: { status: 413, code: 'too_many_files' },
  FST_PARTS_LIMIT: { status: 413, code: 'too_many_parts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'empty_body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request' },
  FST_ERR_CTP_EMPTY_TYPE: { status: 415, code: 'unsupported_media_type' },
};

export interface ErrorBody {
  error: string;
  code: string;
  hint?: string;
}

/** One JSON error shape for every route: `{ error, code }` (+ `hint`), status from the error. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status = 500;
    let body: ErrorBody = { error: 'internal server error', code: 'internal' };
    if (err instanceof ServeError) {
      status = err.status;
      body = { error: err.message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) };
      if (err.status === 503) void reply.header('retry-after', '1');
    } else if (err.code && FASTIFY_CODES[err.code]) {
      const known = FASTIFY_CODES[err.code]!;
      status = known.status;
      body = { error: err.message, code: known.code };
    } else if (err.validation) {
      status = 400;
      body = { error: err.message, code: 'bad_request' };
    } else if (err instanceof SyntaxError || (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)) {
      status = err.statusCode ?? 400;
      body = { error: err.message, code: 'bad_request' };
    }
    if (status >= 500 && status !== 503) request.log.error({ err }, 'serve.request.failed');
    else request.log.info({ code: body.code, status }, 'serve.request.refused');
    return reply.status(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}`, code: 'not_found' } satisfies ErrorBody),
  );
}
