import type * as tfl from '@tensorflow/tfjs-layers';
import type { Logger } from 'pino';
import { ModelError } from './errors.js';
import { loadLayersModel } from './model-io.js';
import { HEAD_LAYERS } from './resnet.js';

const isHead = (name: string) => (HEAD_LAYERS as readonly string[]).includes(name);

/**
 * Initialises the backbone from a TF.js LayersModel folder, matching layers by name (see resnet.ts for the
 * names and docs/training.md for converting torchvision's ImageNet weights). The head is never copied: the
 * source usually has 1000 classes. A layer present in both with different shapes is an error, not a skip.
 */
export async function loadPretrainedBackbone(model: tfl.LayersModel, dir: string, logger: Logger): Promise<string[]> {
  const source = await loadLayersModel(dir);
  const copied: string[] = [];
  try {
    for (const layer of model.layers) {
      if (isHead(layer.name) || layer.weights.length === 0) continue;
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
  logger.info({ from: dir, layers: copied.length }, 'train.pretrained_loaded');
  return copied;
}

/** Freezes (or unfreezes) every backbone layer; the custom loop reads trainableWeights each step, so no recompile. */
export function setBackboneTrainable(model: tfl.LayersModel, trainable: boolean): void {
  for (const layer of model.layers) if (!isHead(layer.name) && layer.weights.length > 0) layer.trainable = trainable;
}
