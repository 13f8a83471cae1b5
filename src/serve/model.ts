import * as tf from '@tensorflow/tfjs-core';
import type { Logger } from 'pino';
import { loadModel, type LoadedModel } from '../training/model-io.js';
import { predictTensor, type Prediction } from '../training/predict.js';
import { ModelLoadError } from './errors.js';
import { buildExplainer, type Explainer } from './explain.js';
import type { Disposable } from './model-holder.js';
import type { ModelRef } from './source.js';

export const CLASS_NAMES = ['NORMAL', 'PNEUMONIA'] as const;

/** A model that loaded, passed its checks and answered a warm-up inference: safe to serve. */
export interface ServedModel extends Disposable {
  readonly ref: ModelRef;
  readonly loaded: LoadedModel;
  readonly inputSize: number;
  readonly loadedAt: string;
  /** Time of the warm-up forward pass (the first one compiles kernels, so it is slower than the rest). */
  readonly warmupMs: number;
  /** Heat maps for this model, or null when its architecture has no GAP + fc head. */
  readonly explain: Explainer | null;
}

/**
 * Loads a model folder completely and proves it works before anyone is switched to it: metadata
 * must match the class order, and one forward pass on a blank image must return two finite
 * probabilities. Anything else is a ModelLoadError, and the caller keeps its current model.
 */
export async function loadServedModel(
  ref: ModelRef,
  o: { logger: Logger; now?: () => Date; serialize?: <T>(job: () => Promise<T>) => Promise<T> },
): Promise<ServedModel> {
  const serialize = o.serialize ?? (<T>(job: () => Promise<T>) => job());
  const started = performance.now();
  let loaded: LoadedModel;
  try {
    loaded = await loadModel(ref.dir);
  } catch (cause) {
    throw new ModelLoadError(ref.dir, `cannot load model from ${ref.dir}: ${(cause as Error).message ?? String(cause)}`, { cause });
  }
  try {
    const meta = loaded.metadata;
    if (JSON.stringify(meta.class_names) !== JSON.stringify(CLASS_NAMES)) {
      throw new Error(`class_names is ${JSON.stringify(meta.class_names)}, expected ${JSON.stringify(CLASS_NAMES)}`);
    }
    const inputSize = meta.input_size;
    if (!Number.isInteger(inputSize) || inputSize < 8) throw new Error(`input_size ${String(inputSize)} is not a usable image size`);
    const warmStart = performance.now();
    const [p] = await serialize(() => predictTensor(loaded, new Float32Array(inputSize * inputSize * 3), 1));
    const warmupMs = performance.now() - warmStart;
    if (!p || !isSane(p)) throw new Error(`warm-up inference returned ${JSON.stringify(p)}`);
    o.logger.info(
      { dir: ref.dir, version: ref.version, input_size: inputSize, load_ms: Math.round(performance.now() - started), warmup_ms: Math.round(warmupMs), tensors: tf.memory().numTensors },
      'serve.model.loaded',
    );
    return {
      ref,
      loaded,
      inputSize,
      loadedAt: (o.now?.() ?? new Date()).toISOString(),
      warmupMs,
      explain: buildExplainer(loaded.model, inputSize),
      dispose: () => loaded.model.dispose(),
    };
  } catch (cause) {
    loaded.model.dispose();
    throw new ModelLoadError(ref.dir, `model in ${ref.dir} failed its checks: ${(cause as Error).message ?? String(cause)}`, { cause });
  }
}

function isSane(p: Prediction): boolean {
  const { NORMAL, PNEUMONIA } = p.probabilities;
  return Number.isFinite(NORMAL) && Number.isFinite(PNEUMONIA) && Math.abs(NORMAL + PNEUMONIA - 1) < 1e-3;
}
