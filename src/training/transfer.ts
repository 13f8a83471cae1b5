import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Logger } from 'pino';
import type { Params } from '../params/index.js';
import { ModelError } from './errors.js';
import { loadLayersModel, METADATA_JSON, type WeightsInit } from './model-io.js';
import { HEAD_LAYERS } from './resnet.js';

const isHead = (name: string) => (HEAD_LAYERS as readonly string[]).includes(name);

/**
 * Initialises a model from a TF.js LayersModel folder, matching layers by name (see resnet.ts for the names
 * and docs/training.md for converting torchvision's ImageNet weights). `backbone` (pretrained weights) never
 * copies the head: the source usually has 1000 classes; `all` (a warm start from our own model folder, e.g.
 * the champion) copies every layer, BatchNorm statistics included. Convolutions do not depend on the input
 * size, so a champion trained at another size still fits. A layer present in both with different shapes is an
 * error, not a skip.
 */
export async function loadWeightsByName(model: tfl.LayersModel, dir: string, logger: Logger, which: 'backbone' | 'all' = 'backbone'): Promise<string[]> {
  const source = await loadLayersModel(dir);
  const copied: string[] = [];
  try {
    for (const layer of model.layers) {
      if ((which === 'backbone' && isHead(layer.name)) || layer.weights.length === 0) continue;
      const from = source.layers.find((l) => l.name === layer.name);
      if (!from) continue;
      const weights = from.getWeights();
      // layer.weights (not getWeights(): that returns the live variables) gives the shapes to compare.
      const want = layer.weights.map((w) => w.shape.join('x'));
      const mismatch = weights.length !== want.length || weights.some((w, i) => w.shape.join('x') !== want[i]);
      if (mismatch) {
        throw new ModelError('pretrained_mismatch', `pretrained layer ${layer.name} in ${dir} has other shapes than this model's`, 'use weights of the same architecture, width and layer names (docs/training.md)');
      }
      layer.setWeights(weights);
      copied.push(layer.name);
    }
  } finally {
    source.dispose();
  }
  if (copied.length === 0) {
    throw new ModelError('pretrained_mismatch', `no layer of ${dir} matches this model's layer names`, 'convert the weights with the layer names in docs/training.md');
  }
  logger.info({ from: dir, layers: copied.length, which }, 'train.weights_loaded');
  return copied;
}

/** Freezes (or unfreezes) every backbone layer; the custom loop reads trainableWeights each step, so no recompile. */
export function setBackboneTrainable(model: tfl.LayersModel, trainable: boolean): void {
  for (const layer of model.layers) if (!isHead(layer.name) && layer.weights.length > 0) layer.trainable = trainable;
}

/**
 * Where the weights start, by model.init: `champion` continues the champion, and before there is one starts
 * from model.pretrained when set (e.g. the shipped models/production), else from scratch; `pretrained` needs
 * model.pretrained; `scratch` ignores both.
 */
export function resolveInit(params: Params, cwd: string, championDir: string | null | undefined): WeightsInit {
  const m = params.model;
  if (m.init === 'scratch') return { mode: 'scratch', from: null };
  if (m.init === 'champion' && championDir) return { mode: 'champion', from: path.resolve(championDir) };
  if (!m.pretrained) {
    if (m.init === 'pretrained') throw new ModelError('init_missing', 'model.init is pretrained but model.pretrained is null', 'set model.pretrained to a model or converted backbone folder, or model.init to champion or scratch');
    return { mode: 'scratch', from: null };
  }
  const from = path.resolve(cwd, m.pretrained);
  if (!existsSync(from)) {
    throw new ModelError('init_missing', `model.pretrained ${m.pretrained} does not exist (${from})`, `fetch it with \`npx dagctl dvc pull ${m.pretrained}\`, or set model.init to scratch`);
  }
  return { mode: 'pretrained', from };
}

/**
 * Loads the starting weights `init` names. A model folder of ours (the champion, or the shipped
 * models/production) fits head and all; a converted ImageNet backbone has a 1000-class head, so only its
 * backbone is copied.
 */
export async function initialiseWeights(model: tfl.LayersModel, init: WeightsInit, logger: Logger): Promise<void> {
  if (init.mode === 'scratch' || !init.from) {
    logger.warn('train.from_scratch: no champion and no model.pretrained; the network starts from random weights');
    return;
  }
  const ours = init.mode === 'champion' || existsSync(path.join(init.from, METADATA_JSON));
  await loadWeightsByName(model, init.from, logger, ours ? 'all' : 'backbone');
}

/**
 * Every weight of the model in layer order. Unlike model.getWeights(), whose order puts trainable weights first,
 * this order does not change when the backbone is frozen or unfrozen, so a snapshot taken in one phase restores
 * in another (best epoch, checkpoints).
 */
function layerWeights(model: tfl.LayersModel): tfl.LayerVariable[] {
  return model.layers.flatMap((l) => l.weights);
}

export function snapshotWeights(model: tfl.LayersModel): tf.Tensor[] {
  return layerWeights(model).map((w) => w.read().clone());
}

export function restoreWeights(model: tfl.LayersModel, weights: readonly tf.Tensor[]): void {
  const vars = layerWeights(model);
  if (vars.length !== weights.length) throw new ModelError('checkpoint_invalid', `expected ${vars.length} weight tensors, got ${weights.length}`, 'the snapshot belongs to another architecture: delete it and train without --resume');
  vars.forEach((v, i) => v.write(weights[i] as tf.Tensor));
}
