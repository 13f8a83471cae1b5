import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Logger } from 'pino';
import type { Params } from '../params/index.js';
import { streamBatches } from './batches.js';
import type { Sample, SkippedFile } from './dataset.js';
import { createRng, shuffled } from './rng.js';
import { accumulatedStep } from './step.js';

export interface EpochInput {
  epoch: number;
  params: Params;
  logits: tfl.LayersModel;
  optimizer: tf.Optimizer;
  samples: readonly Sample[];
  micro: number;
  weights: [number, number];
  onSkip: (f: SkippedFile) => void;
  /** Learning rate of this epoch's step (0-based). */
  lr: (step: number) => number;
  /** Where step progress goes: the run's logger and progress callback; the signal stops between steps. */
  o: { logger: Logger; signal?: AbortSignal; onProgress?: (p: { kind: 'step' } & StepProgress) => void };
}

export interface StepProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  images_per_s: number;
  eta_s: number;
}

/** One pass over the training samples: shuffled and augmented per (seed, epoch), the learning rate set per step. */
export async function runEpoch(e: EpochInput): Promise<{ loss: number; accuracy: number; images: number; seconds: number }> {
  const t = e.params.train;
  const size = e.params.model.input_size;
  const order = shuffled(e.samples, createRng(t.seed * 1000 + e.epoch));
  const steps = Math.ceil(order.length / t.batch_size);
  const start = performance.now();
  let images = 0;
  let lossSum = 0;
  let correct = 0;
  let step = 0;
  const batches = streamBatches(order, {
    size, batchSize: t.batch_size, prefetch: t.prefetch, onSkip: e.onSkip, // prettier-ignore
    ...(t.augment.enabled ? { augment: { params: t.augment, seed: t.seed * 1000 + e.epoch } } : {}),
  });
  for await (const batch of batches) {
    e.o.signal?.throwIfAborted();
    setLearningRate(e.optimizer, e.lr(step));
    const r = await accumulatedStep(e.logits, e.optimizer, batch, { microBatch: e.micro, size, classWeights: e.weights });
    step++;
    images += batch.n;
    lossSum += r.loss * batch.n;
    correct += r.correct;
    const seconds = (performance.now() - start) / 1000;
    const progress = { epoch: e.epoch, epochs: t.epochs, step, steps, loss: r.loss, images_per_s: images / seconds, eta_s: ((steps - step) * seconds) / step };
    e.o.logger.info(progress, 'train.step');
    e.o.onProgress?.({ kind: 'step', ...progress });
  }
  return { loss: images ? lossSum / images : Number.NaN, accuracy: images ? correct / images : 0, images, seconds: (performance.now() - start) / 1000 };
}

/** tfjs-core's Adam reads `learningRate` on every applyGradients (ours and the native kernel's alike). */
function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/** Unweighted mean cross-entropy from P(PNEUMONIA), clipped like Keras (1e-7). */
export function crossEntropy(labels: readonly number[], p: readonly number[]): number {
  if (labels.length === 0) return Number.NaN;
  let s = 0;
  labels.forEach((y, i) => {
    const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i] as number));
    s -= y === 1 ? Math.log(q) : Math.log(1 - q);
  });
  return s / labels.length;
}

