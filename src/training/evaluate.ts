import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Logger } from 'pino';
import { streamBatches } from './batches.js';
import { resolveSplitDir, scanClassFolder, type Label, type Sample, type SkippedFile } from './dataset.js';
import { DataError } from './errors.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { modelThreshold, type LoadedModel } from './model-io.js';
import { predictProbabilities } from './step.js';

export interface EvaluationPrediction {
  /** Relative to the evaluated split folder, e.g. NORMAL/IM-0001.jpeg. */
  path: string;
  label: Label;
  /** P(PNEUMONIA). */
  probability: number;
}

export interface EvaluationResult {
  metrics: Metrics;
  predictions: EvaluationPrediction[];
  test_set_hash: string;
  skipped_files: SkippedFile[];
}

export interface SampleEvalOptions {
  size: number;
  threshold: number;
  batchSize: number;
  root: string;
  onSkip?: (f: SkippedFile) => void;
  signal?: AbortSignal;
}

/** Runs the model over samples with the shared preprocessing; files that fail to decode are skipped via onSkip. */
export async function evaluateSamples(model: tfl.LayersModel, samples: readonly Sample[], o: SampleEvalOptions): Promise<{ metrics: Metrics; predictions: EvaluationPrediction[] }> {
  const predictions: EvaluationPrediction[] = [];
  const batches = streamBatches(samples, { size: o.size, batchSize: o.batchSize, prefetch: 2, ...(o.onSkip ? { onSkip: o.onSkip } : {}) });
  for await (const batch of batches) {
    o.signal?.throwIfAborted();
    const probs = await predictProbabilities(model, batch.x, batch.n, o.batchSize);
    batch.paths.forEach((p, i) => predictions.push({ path: path.relative(o.root, p), label: batch.labels[i] as Label, probability: probs[i] as number }));
  }
  const metrics = computeMetrics(predictions.map((p) => p.label), predictions.map((p) => p.probability), o.threshold);
  return { metrics, predictions };
}

/** md5 over the sorted (relative path, file md5) pairs: two evaluations compare only when this matches. */
export async function testSetHash(samples: readonly Sample[], root: string): Promise<string> {
  const entries = await Promise.all(
    samples.map(async (s) => [path.relative(root, s.path).split(path.sep).join('/'), createHash('md5').update(await readFile(s.path)).digest('hex')] as const),
  );
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash('md5');
  for (const [rel, md5] of entries) h.update(`${rel}\t${md5}\n`);
  return h.digest('hex');
}

export interface EvaluateOptions {
  split?: string;
  threshold?: number;
  batchSize?: number;
  logger: Logger;
  signal?: AbortSignal;
}

/** Evaluates a loaded model on a folder with NORMAL/ and PNEUMONIA/, or on `split` of a Kaggle root. */
export async function evaluate(loaded: LoadedModel, dataDir: string, o: EvaluateOptions): Promise<EvaluationResult> {
  const root = resolveSplitDir(path.resolve(dataDir), o.split ?? 'test');
  if (!existsSync(root)) throw new DataError('data_missing', `${root} does not exist`, 'pass --data a folder with NORMAL/ and PNEUMONIA/, or a Kaggle root with --split');
  const skipped: SkippedFile[] = [];
  const { samples } = await scanClassFolder(root, skipped);
  if (samples.length === 0) throw new DataError('no_images', `no usable images under ${root}/{NORMAL,PNEUMONIA}`, 'check the --data path');
  const threshold = o.threshold ?? modelThreshold(loaded.metadata);
  const batchSize = o.batchSize ?? loaded.metadata.params?.evaluate?.batch_size ?? 16;
  const { metrics, predictions } = await evaluateSamples(loaded.model, samples, {
    size: loaded.metadata.input_size, threshold, batchSize, root, onSkip: (f) => skipped.push(f), ...(o.signal ? { signal: o.signal } : {}), // prettier-ignore
  });
  for (const f of skipped) o.logger.warn({ file: f.path, reason: f.reason }, 'evaluate.skipped_file');
  const used = samples.filter((s) => !skipped.some((f) => f.path === s.path));
  return { metrics, predictions, test_set_hash: await testSetHash(used, root), skipped_files: skipped };
}
