import type * as tfl from '@tensorflow/tfjs-layers';
import type { Logger } from 'pino';
import { ModelError } from './errors.js';
import { loadLayersModel } from './model-io.js';
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
