import type { MetricPoint } from './types.js';

/** MLflow's runs/log-batch limits (https://mlflow.org/docs/latest/rest-api.html#log-batch). */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

export interface KeyValue {
  key: string;
  value: string;
}

export interface BatchChunk {
  metrics: MetricPoint[];
  params: KeyValue[];
  tags: KeyValue[];
}

/** Splits one logical batch into requests that each respect every limit; empty input gives no requests. */
export function chunkBatch(metrics: readonly MetricPoint[], params: readonly KeyValue[], tags: readonly KeyValue[], limits = LOG_BATCH_LIMITS): BatchChunk[] {
  const out: BatchChunk[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  while (m < metrics.length || p < params.length || t < tags.length) {
    const ps = params.slice(p, p + Math.min(limits.params, limits.total));
    p += ps.length;
    const ts = tags.slice(t, t + Math.min(limits.tags, limits.total - ps.length));
    t += ts.length;
    const ms = metrics.slice(m, m + Math.min(limits.metrics, limits.total - ps.length - ts.length));
    m += ms.length;
    out.push({ metrics: ms, params: ps, tags: ts });
  }
  return out;
}

export const toKeyValues = (r: Record<string, string> | undefined): KeyValue[] =>
  Object.entries(r ?? {}).map(([key, value]) => ({ key, value: String(value) }));
