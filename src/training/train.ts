import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Logger } from 'pino';
import type { Params } from '../params/index.js';
import { dataVersion, gitCommit, writeModelFolder, type EpochRecord } from './artifacts.js';
import { initBackend, recommendedMicroBatch, type BackendInfo } from './backends/index.js';
import { streamBatches } from './batches.js';
import { countClasses, loadKaggleData, type ClassCounts, type SkippedFile } from './dataset.js';
import { calibrate } from './calibration.js';
import { checkpointDir, loadCheckpoint, removeCheckpoint, saveCheckpoint } from './checkpoint.js';
import { crossEntropy, runEpoch, type StepProgress } from './epoch.js';
import { DataError, TrainingAbortedError } from './errors.js';
import { evaluateSamples, testSetHash, type EvaluationPrediction } from './evaluate.js';
import { learningRateAt } from './lr-schedule.js';
import { flatMetrics, type Metrics } from './metrics.js';
import type { ModelMetadata } from './model-io.js';
import { IMAGENET_MEAN, IMAGENET_STD } from './preprocess.js';
import { buildResNet18, logitsModel } from './resnet.js';
import { createRng, shuffled } from './rng.js';
import { recalibrateBatchNorm } from './step.js';
import { initialiseWeights, resolveInit, restoreWeights, setBackboneTrainable, snapshotWeights } from './transfer.js';

export type TrainProgress =
  | ({ kind: 'step' } & StepProgress)
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
  /**
   * With model.init = champion: the champion's model folder, resolved by the caller (training knows no
   * registry); null or absent = there is no champion, so the run starts from scratch.
   */
  championDir?: string | null;
  /** Carry on from the checkpoint next to outDir (written after every epoch) instead of starting over. */
  resume?: boolean;
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

/**
 * Trains ResNet18 per params, chooses the decision threshold on the validation split, evaluates on the test
 * split at that threshold, and writes the model folder atomically into outDir. After every epoch a checkpoint
 * is written next to outDir, so `resume` can carry on after a crash.
 */
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
  if (params.evaluate.threshold === 'auto' && (data.val.counts.NORMAL === 0 || data.val.counts.PNEUMONIA === 0)) {
    // Found now, not after an hour of training.
    throw new DataError('empty_class', `the validation split has ${data.val.counts.NORMAL} NORMAL and ${data.val.counts.PNEUMONIA} PNEUMONIA images: choosing a threshold needs both`, `add images of both classes to ${params.data.val_split}/, or set evaluate.threshold to a number`);
  }
  log.info({ train: data.train.counts, val: data.val.counts, test: data.test?.counts ?? null, val_carved: data.valCarved }, 'train.data');

  const micro = Math.min(t.batch_size, t.micro_batch === 'auto' ? recommendedMicroBatch(backend, size) : t.micro_batch);
  const weights = classWeights(data.train.counts, t.class_weight);
  const stepsPerEpoch = Math.ceil(data.train.samples.length / t.batch_size);
  const schedule = { total: stepsPerEpoch * t.epochs, warmup: Math.round(t.warmup_epochs * stepsPerEpoch) };
  log.info({ batch_size: t.batch_size, micro_batch: micro, accumulation_steps: Math.ceil(t.batch_size / micro), class_weights: weights, lr_schedule: t.lr_schedule, ...schedule }, 'train.recipe');

  const model = buildResNet18({ inputSize: size, width: params.model.width, seed: t.seed });
  const logits = logitsModel(model);
  let optimizer = tf.train.adam(t.learning_rate);
  // What a checkpoint must match to be resumed: the recipe and the data (not the gate, pipeline or backend).
  const { gate: _g, pipeline: _p, ...recipe } = params;
  const version = await dataVersion(dataDir);
  const resumeKey = JSON.stringify({ ...recipe, train: { ...t, backend: undefined, prefetch: undefined }, data_version: version });
  let best: { epoch: number; score: number; weights: tf.Tensor[] } | null = null;
  try {
    let history: EpochRecord[] = [];
    let sinceBest = 0;
    let trainedImages = 0;
    let trainSeconds = 0;
    let stopped = false;
    let firstEpoch = 1;
    const resumed = o.resume ? await loadCheckpoint(o.outDir, resumeKey) : null;
    if (o.resume && !resumed) log.warn({ checkpoint: checkpointDir(o.outDir) }, 'train.resume: no checkpoint, starting at epoch 1');
    // A resumed run takes its weights from the checkpoint: the champion or folder it started from may be gone.
    const init = resumed?.state.init ?? resolveInit(params, cwd, o.championDir);
    const frozen = (epoch: number) => init.mode === 'pretrained' && epoch <= params.model.freeze_backbone_epochs;
    if (resumed) {
      restoreWeights(model, resumed.weights);
      tf.dispose(resumed.weights);
      setBackboneTrainable(model, !frozen(resumed.state.epoch));
      await optimizer.setWeights(resumed.optimizer);
      tf.dispose(resumed.optimizer.map((n) => n.tensor));
      ({ history, sinceBest, trainedImages, trainSeconds, stopped } = resumed.state);
      best = resumed.state.best ? { ...resumed.state.best, weights: resumed.bestWeights } : (tf.dispose(resumed.bestWeights), null);
      firstEpoch = resumed.state.epoch + 1;
      log.info({ epoch: resumed.state.epoch, best_epoch: best?.epoch ?? null }, 'train.resumed');
    } else await initialiseWeights(model, init, log);
    let bestVal: EvaluationPrediction[] = [];
    for (let epoch = firstEpoch; epoch <= t.epochs && !stopped; epoch++) {
      if (init.mode === 'pretrained') {
        // Adam keeps its moments by position: when the backbone joins the trainable set, they no longer line up.
        if (epoch > 1 && frozen(epoch - 1) && !frozen(epoch)) (optimizer.dispose(), (optimizer = tf.train.adam(t.learning_rate)));
        setBackboneTrainable(model, !frozen(epoch));
      }
      const lr = (step: number) => learningRateAt(t, (epoch - 1) * stepsPerEpoch + step, schedule.total, schedule.warmup);
      const rec = await runEpoch({ epoch, params, logits, optimizer, samples: data.train.samples, micro, weights, onSkip, lr, o });
      trainedImages += rec.images;
      trainSeconds += rec.seconds;
      if (t.bn_recalibration_images > 0) {
        const subset = shuffled(data.train.samples, createRng(t.seed + epoch)).slice(0, t.bn_recalibration_images);
        const recal = streamBatches(subset, { size, batchSize: t.batch_size, prefetch: t.prefetch });
        log.debug({ images: await recalibrateBatchNorm(logits, recal, micro) }, 'train.bn_recalibrated');
      }
      const val = await evaluateSamples(model, data.val.samples, { size, threshold: 0.5, batchSize: micro, root: dataDir, onSkip, ...(o.signal ? { signal: o.signal } : {}) }); // prettier-ignore
      const record: EpochRecord = {
        epoch, loss: rec.loss, accuracy: rec.accuracy, // prettier-ignore
        val_loss: crossEntropy(val.predictions.map((p) => p.label), val.predictions.map((p) => p.probability)),
        val_accuracy: val.metrics.accuracy,
        val_auc: val.metrics.auc,
        images_per_s: rec.images / rec.seconds,
        seconds: rec.seconds,
        learning_rate: lr(stepsPerEpoch - 1),
      };
      history.push(record);
      const score = record.val_auc ?? record.val_accuracy;
      const isBest = best === null || score > best.score;
      if (isBest) {
        tf.dispose(best?.weights ?? []);
        best = { epoch, score, weights: snapshotWeights(model) };
        bestVal = val.predictions;
        sinceBest = 0;
      } else sinceBest++;
      log.info({ ...record, epochs: t.epochs, best: isBest }, 'train.epoch');
      o.onProgress?.({ kind: 'epoch', epochs: t.epochs, best: isBest, ...record });
      stopped = t.early_stopping_patience > 0 && sinceBest >= t.early_stopping_patience;
      if (stopped) log.info({ epoch, best_epoch: best?.epoch }, 'train.early_stop');
      // Every epoch, the last too: a failure in calibration or evaluation then resumes without training again.
      const state = { epoch, history, best: best && { epoch: best.epoch, score: best.score }, sinceBest, stopped, trainedImages, trainSeconds, init, key: resumeKey };
      const adam = await optimizer.getWeights();
      await saveCheckpoint(o.outDir, { state, weights: snapshotWeights(model), bestWeights: best?.weights ?? [], optimizer: adam }).finally(() => tf.dispose(adam[0]?.tensor));
    }
    if (best) restoreWeights(model, best.weights);
    // A resumed run whose best epoch came before the crash: its validation predictions were not kept.
    if (bestVal.length === 0) bestVal = (await evaluateSamples(model, data.val.samples, { size, threshold: 0.5, batchSize: micro, root: dataDir, onSkip, ...(o.signal ? { signal: o.signal } : {}) })).predictions; // prettier-ignore

    const e = params.evaluate;
    const calibration = calibrate(bestVal.map((p) => p.label), bestVal.map((p) => p.probability), {
      threshold: e.threshold, rule: e.threshold_rule, minSensitivity: e.min_sensitivity, // prettier-ignore
      split: data.valCarved ? `${params.data.val_split} (carved from ${params.data.train_split})` : params.data.val_split,
    });
    log.info({ threshold: calibration.threshold, rule: calibration.rule, val_auc: calibration.val_auc, crossfit: calibration.crossfit, ece: calibration.ece }, 'train.calibrated');

    const evalSplit = data.test ?? data.val;
    const evalRoot = path.join(dataDir, data.test ? params.data.test_split : '');
    const final = await evaluateSamples(model, evalSplit.samples, { size, threshold: calibration.threshold, batchSize: e.batch_size, root: evalRoot, onSkip, ...(o.signal ? { signal: o.signal } : {}) }); // prettier-ignore
    const used = evalSplit.samples.filter((s) => !skipped.some((f) => f.path === s.path));
    const metadata: ModelMetadata = {
      format_version: 1,
      class_names: ['NORMAL', 'PNEUMONIA'],
      input_size: size,
      width: params.model.width,
      preprocessing: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], channels: 3, resize: 'fill' },
      params,
      threshold: calibration.threshold,
      calibration,
      data_version: version,
      backend,
      git_commit: await gitCommit(cwd),
      metrics: final.metrics,
      best_epoch: best?.epoch ?? 0,
      epochs_run: history.length,
      training_time_s: (performance.now() - started) / 1000,
      train_images_per_s: trainSeconds > 0 ? trainedImages / trainSeconds : 0,
      init,
      trained_from_scratch: init.mode === 'scratch',
      pretrained_from: init.mode === 'pretrained' ? init.from : null,
      created_at: new Date().toISOString(),
      counts: { train: data.train.counts, val: countClasses(data.val.samples), test: data.test?.counts ?? null },
      skipped_files: skipped,
      test_set_hash: await testSetHash(used, evalRoot),
      evaluated_on: data.test ? params.data.test_split : 'val',
    };
    o.signal?.throwIfAborted();
    await writeModelFolder(o.outDir, { model, metadata, history, predictions: final.predictions, valPredictions: bestVal });
    await removeCheckpoint(o.outDir);
    log.info({ out_dir: path.resolve(o.outDir), metrics: flatMetrics(final.metrics), threshold: calibration.threshold, init: init.mode, trained_from_scratch: metadata.trained_from_scratch }, 'train.done');
    return { outDir: path.resolve(o.outDir), metadata, metrics: final.metrics, history };
  } catch (err) {
    if (o.signal?.aborted) throw new TrainingAbortedError({ cause: err });
    throw err;
  } finally {
    tf.dispose(best?.weights ?? []);
    optimizer.dispose();
    model.dispose();
  }
}
