import type { FastifyInstance } from 'fastify';
import type { ServeMetrics } from '../metrics.js';
import type { ModelHolder } from '../model-holder.js';
import type { ServedModel } from '../model.js';
import type { InferenceQueue } from '../queue.js';
import type { Reloader } from '../reloader.js';
import type { ModelSource } from '../source.js';

interface Deps {
  metrics: ServeMetrics;
  holder: ModelHolder<ServedModel>;
  reloader: Reloader;
  queue: InferenceQueue;
  source: ModelSource;
  backend: string;
}

/** GET /metrics (Prometheus text format) and GET /status (what is served, and the last refused reload). */
export function opsRoutes(d: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/metrics', async (_req, reply) => {
      const text = await d.metrics.registry.metrics();
      return reply.type(d.metrics.registry.contentType).header('cache-control', 'no-store').send(text);
    });

    app.get('/status', async (_req, reply) => {
      const m = d.holder.current;
      return reply.header('cache-control', 'no-store').send({
        ready: m !== null,
        source: d.source.description,
        backend: d.backend,
        model: m && {
          version: m.ref.version,
          dir: m.ref.dir,
          promoted_at: m.ref.promotedAt,
          loaded_at: m.loadedAt,
          input_size: m.inputSize,
          metrics: m.loaded.metadata.metrics,
        },
        loading: d.reloader.loading,
        last_reload_error: d.reloader.lastFailure,
        queue: { depth: d.queue.depth, capacity: d.queue.capacity },
      });
    });
  };
}
