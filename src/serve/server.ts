import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createMetrics, type ServeMetrics } from './metrics.js';
import { ModelHolder } from './model-holder.js';
import { loadServedModel, type ServedModel } from './model.js';
import { InferenceService } from './inference.js';
import { DEFAULT_QUEUE_CAPACITY, InferenceQueue } from './queue.js';
export { DEFAULT_QUEUE_CAPACITY } from './queue.js';
import { Reloader } from './reloader.js';
import { installErrorHandlers } from './routes/errors.js';
import { opsRoutes } from './routes/ops.js';
import { pageRoutes } from './routes/pages.js';
import { predictRoutes } from './routes/predict.js';
import { v2Routes } from './routes/v2.js';
import type { ModelRef, ModelSource } from './source.js';

export interface ServeOptions {
  source: ModelSource;
  logger: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 picks a free port (tests). */
  port?: number;
  /** Upload cap for /predict (and the base64 image in /v2 infer). Default 10 MiB. */
  maxUploadBytes?: number;
  /** Requests admitted at once (decoding, waiting or in the forward pass); more get 503. Default 32. */
  queueCapacity?: number;
  /** Shown on /status and in logs: which TF.js backend runs the model. */
  backend?: string;
  /** Collect Node process metrics (event loop lag, heap) on /metrics. Default true. */
  processMetrics?: boolean;
  /** Clock for loaded_at and reload-failure times (tests pass a fixed one). Default: the system clock. */
  now?: () => Date;
}

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly reloader: Reloader;
  readonly metrics: ServeMetrics;
  /** The model being served now, or null. */
  current(): ServedModel | null;
  close(): Promise<void>;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const SERVER_VERSION = '0.1.0';

/**
 * Builds the app, loads the first model, starts listening and follows the source. A server whose
 * source follows the registry starts even when the champion is missing or broken (not ready, 503,
 * until a good one is promoted); a pinned version or folder that does not load is an error.
 */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const logger = o.logger.child({ component: 'serve' });
  const maxUploadBytes = o.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const metrics = createMetrics({ defaultMetrics: o.processMetrics ?? true });
  const holder = new ModelHolder<ServedModel>();
  const queue = new InferenceQueue(o.queueCapacity ?? DEFAULT_QUEUE_CAPACITY);
  const service = new InferenceService(holder, queue, metrics);
  const load = (ref: ModelRef): Promise<ServedModel> => loadServedModel(ref, { logger, now: o.now, serialize: (job) => queue.exclusive(job) });
  const reloader = new Reloader({ holder, load, metrics, logger, now: o.now });

  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: 1024 * 1024, return503OnClosing: true });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  installErrorHandlers(app);
  // base64 inflates by 4/3; FP32 JSON needs ~12 bytes a value (16 x 224 x 224 x 3 values at most).
  const inferBodyLimit = Math.max(Math.ceil((maxUploadBytes * 4) / 3) + 1024 * 1024, 64 * 1024 * 1024);
  await app.register(predictRoutes(service, { maxUploadBytes }));
  await app.register(v2Routes({ service, holder, reloader, serverVersion: SERVER_VERSION, inferBodyLimit }));
  await app.register(pageRoutes({ holder, reloader, source: o.source, maxUploadBytes, explain: true }));
  await app.register(opsRoutes({ metrics, holder, reloader, queue, source: o.source, backend: o.backend ?? 'unknown' }));

  // Subscribe before reading the first target, so a promotion in between is not missed; a change
  // seen by the watch is newer than what initial() may have read, so it wins.
  let changed = false;
  const unwatch = o.source.follows
    ? o.source.watch((ref) => {
        changed = true;
        void reloader.request(ref);
      })
    : () => undefined;
  let address: string;
  try {
    const first = await o.source.initial();
    if (first && !changed) await reloader.request(first);
    await reloader.settled();
    if (!holder.current) {
      if (!o.source.follows) throw reloader.lastError ?? new Error(`nothing to serve from ${o.source.description}`);
      logger.warn({ source: o.source.description }, 'serve.not_ready: no loadable champion yet; waiting for a promotion');
    }
    address = await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8000 });
  } catch (err) {
    unwatch();
    await app.close();
    await reloader.settled();
    holder.clear();
    throw err;
  }
  logger.info({ url: address, source: o.source.description, version: holder.current?.ref.version ?? null }, 'serve.listening');
  return {
    url: address,
    app,
    reloader,
    metrics,
    current: () => holder.current,
    close: async () => {
      unwatch();
      await app.close();
      await reloader.settled();
      holder.clear();
    },
  };
}
