import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { model as functionalModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';

/** A coarse heat map of where the evidence for the predicted class lies, values 0..1, row-major. */
export interface Explanation {
  method: 'class_activation_map';
  /** The class the map supports (the predicted label). */
  target: 'NORMAL' | 'PNEUMONIA';
  grid: number[][];
}

export type Explainer = (input: Float32Array, target: 'NORMAL' | 'PNEUMONIA') => Explanation;

/**
 * Class activation mapping (Zhou et al., CVPR 2016). Our ResNet ends in global average pooling
 * ('avgpool') and one dense layer ('fc'), so the fc weights applied to the last feature map give
 * each cell's contribution to the logits directly: one forward pass to the feature map, no
 * gradients, no occlusion batch. For such a head this equals Grad-CAM up to scale. The map uses
 * the logit difference PNEUMONIA - NORMAL (negated for NORMAL), so it shows what pushed the
 * decision. Returns null for a model without that head (the prediction still works, no map).
 */
export function buildExplainer(model: tfl.LayersModel, inputSize: number): Explainer | null {
  let pool: tfl.layers.Layer;
  let fc: tfl.layers.Layer;
  try {
    pool = model.getLayer('avgpool');
    fc = model.getLayer('fc');
  } catch {
    return null;
  }
  const kernel = fc.getWeights()[0];
  if (!kernel || kernel.rank !== 2 || kernel.shape[1] !== 2) return null;
  // Shares layers (and weights) with `model`; it holds no variables of its own, so it needs no disposal.
  const features = functionalModel({ inputs: model.inputs, outputs: pool.input as SymbolicTensor });
  return (input, target) => {
    const map = tf.tidy(() => {
      const x = tf.tensor4d(input, [1, inputSize, inputSize, 3]);
      const a = tf.squeeze(features.predict(x) as tf.Tensor4D, [0]) as tf.Tensor3D; // [h, w, C]
      const [w0, w1] = tf.split(kernel, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const direction = target === 'PNEUMONIA' ? tf.sub(w1, w0) : tf.sub(w0, w1); // [C, 1]
      const [h, w, c] = a.shape;
      const cam = tf.reshape(tf.relu(tf.matMul(tf.reshape(a, [h * w, c]), direction)), [h, w]);
      const max = tf.max(cam);
      return tf.div(cam, tf.maximum(max, 1e-8));
    });
    const rows = map.arraySync() as number[][];
    map.dispose();
    return { method: 'class_activation_map', target, grid: rows.map((r) => r.map((v) => Math.round(v * 1000) / 1000)) };
  };
}
