import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Logger } from 'pino';
import type { Params } from '../params/index.js';
import { dataVersion, gitCommit, writeModelFolder, type EpochRecord } from './artifacts.js';
import { initBackend, recommendedMicroBatch, type BackendInfo } from './backends/index.js';
import { streamBatches } from './batches.js';
import { countClasses, loadKaggleData, type ClassCounts, type Sample, type SkippedFile } from './dataset.js';
import { TrainingAbortedError } from './errors.js';
import { evaluateSamples, testSetHash } from './evaluate.js';
import { flatMetrics, type Metrics } from './metrics.js';
import type { ModelMetadata } from './model-io.js';
import { IMAGENET_MEAN, IMAGENET_STD } from './preprocess.js';
import { buildResNet18, logitsModel } from './resnet.js';
import { createRng, shuffled } from './rng.js';
import { accumulatedStep, recalibrateBatchNorm } from './step.js';
import { loadPretrainedBackbone, setBackboneTrainable } from './transfer.js';

export type TrainProgress =
  | { kind: 'step'; epoch: number; epochs: number; step: number; steps: number; loss: number; images_per_s: number; eta_s: number }
  | ({ kind: 'epoch'; epochs: number; best: boolean } & EpochRecord);

export interface TrainOptions {
  outDir: string;
  logger: Logger;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  /** Resolves data.dir and model.pretrained; default process.cwd(). */
  cwd?: string;
  /** Overrides the backend choice (else params.train.backend); a pre-initialised backend can be passed by tests. */
  backend?: BackendInfo;
}

export interface TrainResult {
  outDir: string;
  metadata: ModelMetadata;
  metrics: Metrics | null;
  history: EpochRecord[];
}

/** 'balanced' = n / (2 * n_class), scikit-learn's compute_class_weight. */
export function classWeights(counts: ClassCounts, mode: Params['train']['class_weight']): [number, number] {
  if (mode === 'none') return [1, 1];
  const n = counts.NORMAL + counts.PNEUMONIA;
  return [n / (2 * counts.NORMAL), n / (2 * counts.PNEUMONIA)];
}

/** Trains ResNet18 per params, evaluates on the test split, and writes the model folder atomically into outDir. */
export async function train(params: Params, o: TrainOptions): Promise<TrainResult> {
  const log = o.logger;
  const started = performance.now();
  const cwd = o.cwd ?? process.cwd();
  const t = params.train;
  const size = params.model.input_size;
  const backend = o.backend ?? (await initBackend(t.backend, log));
  const dataDir = path.resolve(cwd, params.data.dir);
  const data = await loadKaggleData(dataDir, params.data, t.seed);
  const skipped: SkippedFile[] = [...data.skipped];
  const onSkip = (f: SkippedFile) => {
    skipped.push(f);
    log.warn({ file: f.path, reason: f.reason }, 'train.skipped_file');
  };
  for (const f of data.skipped) log.warn({ file: f.path, reason: f.reason }, 'train.skipped_file');
  log.info({ train: data.train.counts, val: data.val.counts, test: data.test?.counts ?? null, val_carved: data.valCarved }, 'train.data');

  const micro = Math.min(t.batch_size, t.micro_batch === 'auto' ? recommendedMicroBatch(backend, size) : t.micro_batch);
  const weights = classWeights(data.train.counts, t.class_weight);
  log.info({ batch_size: t.batch_size, micro_batch: micro, accumulation_steps: Math.ceil(t.batch_size / micro), class_weights: weights }, 'train.recipe');

  const model = buildResNet18({ inputSize: size, width: params.model.width, seed: t.seed });
  const logits = logitsModel(model);
  const optimizer = tf.train.adam(t.learning_rate);
  const pretrained = params.model.pretrained ? path.resolve(cwd, params.model.pretrained) : null;
  try {
    if (pretrained) await loadPretrainedBackbone(model, pretrained, log);
    else log.warn('train.from_scratch: no model.pretrained given; the backbone starts from random weights');
    const history: EpochRecord[] = [];
    let best: { epoch: number; auc: number; weights: tf.Tensor[] } | null = null;
    let sinceBest = 0;
    let trainedImages = 0;
    let trainSeconds = 0;
    for (let epoch = 1; epoch <= t.epochs; epoch++) {
      if (pretrained) setBackboneTrainable(model, epoch > params.model.freeze_backbone_epochs);
      const rec = await runEpoch({ epoch, params, logits, optimizer, samples: data.train.samples, micro, weights, onSkip, o });
      trainedImages += rec.images;
      trainSeconds += rec.seconds;
      if (t.bn_recalibration_images > 0) {
        const subset = shuffled(data.train.samples, createRng(t.seed + epoch)).slice(0, t.bn_recalibration_images);
        const recal = streamBatches(subset, { size, batchSize: t.batch_size, prefetch: t.prefetch });
        log.debug({ images: await recalibrateBatchNorm(logits, recal, micro) }, 'train.bn_recalibrated');
      }
      const val = await evaluateSamples(model, data.val.samples, { size, threshold: params.evaluate.threshold, batchSize: micro, root: dataDir, onSkip, ...(o.signal ? { signal: o.signal } : {}) }); // prettier-ignore
      const record: EpochRecord = {
        epoch, loss: rec.loss, accuracy: rec.accuracy, // prettier-ignore
        val_loss: crossEntropy(val.predictions.map((p) => p.label), val.predictions.map((p) => p.probability)),
        val_accuracy: val.metrics.accuracy,
        val_auc: val.metrics.auc,
        images_per_s: rec.images / rec.seconds,
        seconds: rec.seconds,
      };
      history.push(record);
      const score = record.val_auc ?? record.val_accuracy;
      const isBest = best === null || score > best.auc;
      if (isBest) {
        tf.dispose(best?.weights ?? []);
        best = { epoch, auc: score, weights: model.getWeights().map((w) => w.clone()) };
        sinceBest = 0;
      } else sinceBest++;
      log.info({ ...record, epochs: t.epochs, best: isBest }, 'train.epoch');
      o.onProgress?.({ kind: 'epoch', epochs: t.epochs, best: isBest, ...record });
      if (t.early_stopping_patience > 0 && sinceBest >= t.early_stopping_patience) {
        log.info({ epoch, best_epoch: best?.epoch }, 'train.early_stop');
        break;
      }
    }
    if (best) model.setWeights(best.weights);
    tf.dispose(best?.weights ?? []);

    const evalSplit = data.test ?? data.val;
    const evalRoot = path.join(dataDir, data.test ? params.data.test_split : '');
    const final = await evaluateSamples(model, evalSplit.samples, { size, threshold: params.evaluate.threshold, batchSize: params.evaluate.batch_size, root: evalRoot, onSkip, ...(o.signal ? { signal: o.signal } : {}) }); // prettier-ignore
    const used = evalSplit.samples.filter((s) => !skipped.some((f) => f.path === s.path));
    const metadata: ModelMetadata = {
      format_version: 1,
      class_names: ['NORMAL', 'PNEUMONIA'],
      input_size: size,
      width: params.model.width,
      preprocessing: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], channels: 3, resize: 'fill' },
      params,
      data_version: await dataVersion(dataDir),
      backend,
      git_commit: await gitCommit(cwd),
      metrics: final.metrics,
      best_epoch: best?.epoch ?? 0,
      epochs_run: history.length,
      training_time_s: (performance.now() - started) / 1000,
      train_images_per_s: trainSeconds > 0 ? trainedImages / trainSeconds : 0,
      trained_from_scratch: pretrained === null,
      pretrained_from: pretrained,
      created_at: new Date().toISOString(),
      counts: { train: data.train.counts, val: countClasses(data.val.samples), test: data.test?.counts ?? null },
      skipped_files: skipped,
      test_set_hash: await testSetHash(used, evalRoot),
      evaluated_on: data.test ? params.data.test_split : 'val',
    };
    o.signal?.throwIfAborted();
    await writeModelFolder(o.outDir, { model, metadata, history, predictions: final.predictions });
    log.info({ out_dir: path.resolve(o.outDir), metrics: flatMetrics(final.metrics), trained_from_scratch: metadata.trained_from_scratch }, 'train.done');
    return { outDir: path.resolve(o.outDir), metadata, metrics: final.metrics, history };
  } catch (err) {
    if (o.signal?.aborted) throw new TrainingAbortedError({ cause: err });
    throw err;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

interface EpochInput {
  epoch: number;
  params: Params;
  logits: tfl.LayersModel;
  optimizer: tf.Optimizer;
  samples: readonly Sample[];
  micro: number;
  weights: [number, number];
  onSkip: (f: SkippedFile) => void;
  o: TrainOptions;
}

async function runEpoch(e: EpochInput): Promise<{ loss: number; accuracy: number; images: number; seconds: number }> {
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

/** Unweighted mean cross-entropy from P(PNEUMONIA), clipped like Keras (1e-7). */
function crossEntropy(labels: readonly number[], p: readonly number[]): number {
  if (labels.length === 0) return Number.NaN;
  let s = 0;
  labels.forEach((y, i) => {
    const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i] as number));
    s -= y === 1 ? Math.log(q) : Math.log(1 - q);
  });
  return s / labels.length;
}

