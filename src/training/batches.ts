import { readFile } from 'node:fs/promises';
import type { TrainParams } from '../params/index.js';
import { augmentImage } from './augment.js';
import type { Sample, SkippedFile } from './dataset.js';
import { preprocessImage } from './preprocess.js';
import { createRng } from './rng.js';

/** A decoded batch: NHWC float32, ready for a tensor. */
export interface Batch {
  x: Float32Array;
  labels: Int32Array;
  paths: string[];
  n: number;
}

export interface BatchOptions {
  size: number;
  batchSize: number;
  /** Batches decoded ahead of the consumer; memory stays at (prefetch + 1) batches. */
  prefetch: number;
  /** Augmentation with a per-batch seed (seed + batch index), so prefetch order cannot change the images. */
  augment?: { params: TrainParams['augment']; seed: number };
  /** Files that fail to decode here (e.g. truncated JPEGs whose header looked fine) are skipped and reported. */
  onSkip?: (file: SkippedFile) => void;
}

async function decodeBatch(samples: readonly Sample[], index: number, o: BatchOptions): Promise<Batch> {
  const per = o.size * o.size * 3;
  const decoded = await Promise.all(
    samples.map(async (s) => {
      try {
        return await preprocessImage(await readFile(s.path), o.size);
      } catch (err) {
        o.onSkip?.({ path: s.path, reason: err instanceof Error ? err.message : String(err) });
        return null;
      }
    }),
  );
  const kept = samples.flatMap((s, i) => (decoded[i] ? [{ s, img: decoded[i] }] : []));
  const x = new Float32Array(kept.length * per);
  const labels = new Int32Array(kept.length);
  const rng = o.augment ? createRng(o.augment.seed + index * 7919) : null;
  kept.forEach(({ s, img }, i) => {
    x.set(o.augment && rng ? augmentImage(img, o.size, o.augment.params, rng) : img, i * per);
    labels[i] = s.label;
  });
  return { x, labels, paths: kept.map((k) => k.s.path), n: kept.length };
}

/**
 * Streams batches in order with bounded prefetch: never the whole set in memory (5,216 images at 224 as
 * float32 would be over 3 GB). Empty batches (every file corrupt) are not yielded.
 */
export async function* streamBatches(samples: readonly Sample[], o: BatchOptions): AsyncGenerator<Batch> {
  const starts: number[] = [];
  for (let i = 0; i < samples.length; i += o.batchSize) starts.push(i);
  const pending: Promise<Batch>[] = [];
  let next = 0;
  const fill = () => {
    while (pending.length < Math.max(1, o.prefetch) && next < starts.length) {
      const index = next++;
      const s = starts[index] as number;
      pending.push(decodeBatch(samples.slice(s, s + o.batchSize), index, o));
    }
  };
  fill();
  while (pending.length > 0) {
    const batch = await (pending.shift() as Promise<Batch>);
    fill();
    if (batch.n > 0) yield batch;
  }
}
