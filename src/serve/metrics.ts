import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The server's Prometheus metrics, on a registry of its own (not prom-client's global one) so that
 * several servers in one process (tests) never share or double-register series.
 */
export interface ServeMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route'>;
  readonly predictions: Counter<'label'>;
  readonly inferenceSeconds: Histogram<'kind'>;
  readonly modelInfo: Gauge<'version' | 'dir'>;
  readonly modelLoads: Counter<'result'>;
  readonly modelLoadFailures: Counter;
  readonly queueDepth: Gauge;
  readonly queueRejections: Counter;
}

export function createMetrics(o: { defaultMetrics?: boolean } = {}): ServeMetrics {
  const registry = new Registry();
  if (o.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'dagctl_serve_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route pattern, from request start to response sent',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    predictions: new Counter({
      name: 'predictions_total',
      help: 'Predictions returned, by predicted label',
      labelNames: ['label'] as const,
      registers,
    }),
    inferenceSeconds: new Histogram({
      name: 'inference_duration_seconds',
      help: 'Model forward pass time inside the inference queue (no HTTP, no decoding)',
      labelNames: ['kind'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    modelInfo: new Gauge({
      name: 'model_info',
      help: 'The model being served (value 1); version is "" for a model folder outside the registry',
      labelNames: ['version', 'dir'] as const,
      registers,
    }),
    modelLoads: new Counter({
      name: 'model_loads_total',
      help: 'Model load attempts by result (loaded | refused)',
      labelNames: ['result'] as const,
      registers,
    }),
    modelLoadFailures: new Counter({
      name: 'model_load_failures_total',
      help: 'Models that failed to load or warm up and were refused (the previous model kept serving)',
      registers,
    }),
    queueDepth: new Gauge({ name: 'inference_queue_depth', help: 'Inference jobs running or waiting', registers }),
    queueRejections: new Counter({
      name: 'inference_queue_rejections_total',
      help: 'Requests refused with 503 because the inference queue was full',
      registers,
    }),
  };
}
