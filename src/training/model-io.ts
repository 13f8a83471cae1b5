import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Params } from '../params/index.js';
import type { BackendInfo } from './backends/index.js';
import type { Calibration } from './calibration.js';
import type { ClassCounts, SkippedFile } from './dataset.js';
import { ModelError } from './errors.js';
import type { Metrics } from './metrics.js';

/** Where a model's weights started: the champion it continues, a pretrained backbone, or random weights. */
export interface WeightsInit {
  mode: 'champion' | 'pretrained' | 'scratch';
  from: string | null;
}

/** metadata.json of a model folder (snake_case, format_version 1). */
export interface ModelMetadata {
  format_version: 1;
  class_names: ['NORMAL', 'PNEUMONIA'];
  input_size: number;
  width: number;
  preprocessing: { mean: number[]; std: number[]; channels: 3; resize: 'fill' };
  params: Params;
  /**
   * P(PNEUMONIA) at or above which PNEUMONIA is predicted: chosen on validation (see `calibration`), used by
   * evaluate, predict, serving and the promotion gate. Absent in older folders: then params.evaluate.threshold.
   */
  threshold?: number;
  calibration?: Calibration;
  data_version: string | null;
  backend: BackendInfo;
  git_commit: string | null;
  metrics: Metrics | null;
  best_epoch: number;
  epochs_run: number;
  training_time_s: number;
  train_images_per_s: number;
  /** Where the weights started (absent in older folders). */
  init?: WeightsInit;
  trained_from_scratch: boolean;
  pretrained_from: string | null;
  created_at: string;
  counts: { train: ClassCounts; val: ClassCounts; test: ClassCounts | null };
  skipped_files: SkippedFile[];
  test_set_hash: string | null;
  /** Which split the final metrics come from ('test', or 'val' when the data has no test split). */
  evaluated_on: string;
  /** Set by `dagctl quantize`: the weights were rewritten after the metrics above were measured. */
  weights_dtype?: 'float16';
}

export interface LoadedModel {
  model: tfl.LayersModel;
  metadata: ModelMetadata;
  dir: string;
}

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const METADATA_JSON = 'metadata.json';

/** Writes model.json + weights.bin (TF.js layers format) through an fs IO handler; no tfjs-node needed. */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(path.join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
      await writeFile(path.join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Reads any TF.js LayersModel folder (model.json + weight shards listed in its manifest). */
export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await readFile(path.join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
  } catch (cause) {
    throw new ModelError('model_missing', `no readable ${MODEL_JSON} in ${dir}`, 'pass a model folder written by `dagctl train` (or a TF.js LayersModel folder)', { cause });
  }
  try {
    const groups = json.weightsManifest ?? [];
    const weightSpecs = groups.flatMap((g) => g.weights);
    const shards = await Promise.all(groups.flatMap((g) => g.paths.map((p) => readFile(path.join(dir, p)))));
    const weightData = tf.io.CompositeArrayBuffer.join(shards.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
    return await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (cause) {
    throw new ModelError('model_invalid', `cannot load the model in ${dir}: ${cause instanceof Error ? cause.message : String(cause)}`, 'retrain or re-export the model folder', { cause });
  }
}

/** Writes model.json, weights.bin and metadata.json into `dir` (the caller makes the whole folder atomic). */
export async function saveModel(model: tfl.LayersModel, dir: string, metadata: ModelMetadata): Promise<void> {
  await saveLayersModel(model, dir);
  await writeFile(path.join(dir, METADATA_JSON), `${JSON.stringify(metadata, null, 2)}\n`);
}

/** The decision threshold a model folder carries: the calibrated one, else the params it was trained with, else 0.5. */
export function modelThreshold(metadata: ModelMetadata): number {
  if (typeof metadata.threshold === 'number') return metadata.threshold;
  const fixed = metadata.params?.evaluate?.threshold;
  return typeof fixed === 'number' ? fixed : 0.5;
}

export async function loadModel(dir: string): Promise<LoadedModel> {
  let metadata: ModelMetadata;
  try {
    metadata = JSON.parse(await readFile(path.join(dir, METADATA_JSON), 'utf8')) as ModelMetadata;
  } catch (cause) {
    throw new ModelError('model_missing', `no readable ${METADATA_JSON} in ${dir}`, 'pass a model folder written by `dagctl train`', { cause });
  }
  if (metadata.format_version !== 1 || metadata.class_names?.join() !== 'NORMAL,PNEUMONIA' || !Number.isInteger(metadata.input_size)) {
    throw new ModelError('model_invalid', `${dir}/${METADATA_JSON} is not format_version 1 with classes NORMAL, PNEUMONIA`, 'retrain with this version of dagctl');
  }
  const model = await loadLayersModel(dir);
  return { model, metadata, dir };
}
