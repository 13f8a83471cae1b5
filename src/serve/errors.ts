/**
 * Errors the server turns into HTTP answers. Each has a stable `code` (the JSON body's `code`)
 * and the HTTP status it maps to, so the mapping lives with the error and not in the routes.
 */
export class ServeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServeError';
    this.hint = options?.hint;
  }
  readonly hint: string | undefined;
}

/** The bounded inference queue is full: the client should retry later (HTTP 503 + Retry-After). */
export class QueueFullError extends ServeError {
  constructor(capacity: number) {
    super(503, 'queue_full', `server busy: ${capacity} requests already waiting for inference; retry shortly`);
    this.name = 'QueueFullError';
  }
}

/** No model is loaded yet (startup, or the champion never loaded). */
export class ModelNotReadyError extends ServeError {
  constructor() {
    super(503, 'model_not_ready', 'no model is loaded yet', { hint: 'check GET /v2/health/ready and the server log' });
    this.name = 'ModelNotReadyError';
  }
}

/** A model folder could not be loaded or failed its warm-up; the previous model keeps serving. */
export class ModelLoadError extends Error {
  readonly code = 'model_load_failed';
  readonly hint: string;
  constructor(
    readonly dir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelLoadError';
    const causeHint = (options?.cause as { hint?: unknown } | undefined)?.hint;
    this.hint = typeof causeHint === 'string' ? causeHint : 'serve a folder written by `dagctl train` (model.json, weights.bin, metadata.json)';
  }
}

export function badRequest(code: string, message: string): ServeError {
  return new ServeError(400, code, message);
}
