import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { expectSameOnBoth, native, randTensor, rng } from './harness.js';

// Training-mode batch norm exactly as tfjs-layers computes it: tf.moments over every axis but
// the channels, then tf.batchNorm with those statistics.
function trainingBatchNorm(x: tf.Tensor4D, gamma: tf.Tensor1D | undefined, beta: tf.Tensor1D | undefined): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, 1e-5);
}

// tfjs-layers reaches tf.moments through tfjs-core's CommonJS exports, where register() installs
// the one-kernel version; the ES namespace above keeps the original.
const cjsCore = createRequire(import.meta.url)('@tensorflow/tfjs-core') as typeof tf;

describe.skipIf(!native.ok)('native-cpu batch norm matches cpu', () => {
  it.each([false, true])('moments as tfjs-layers calls it (keepDims %s): values and gradients through mean and variance', async (keepDims) => {
    const r = rng(17);
    const x = randTensor(r, [3, 5, 4, 7], 2);
    const wm = randTensor(r, [7]), wv = randTensor(r, [7]);
    await expectSameOnBoth(() => {
      const xt = tf.tensor4d(x.data, [3, 5, 4, 7]);
      const f = (v: tf.Tensor) => {
        const { mean, variance } = cjsCore.moments(v, [0, 1, 2], keepDims);
        return tf.add(tf.sum(tf.mul(tf.reshape(mean, [7]), tf.tensor1d(wm.data))), tf.sum(tf.mul(tf.reshape(variance, [7]), tf.tensor1d(wv.data))));
      };
      const { mean, variance } = cjsCore.moments(xt, [0, 1, 2], keepDims);
      return [mean, variance, tf.grads(f)([xt])[0]!];
    }, 1e-5, 'moments');
  });

  it('moments over other axes keeps the original implementation', async () => {
    const x = randTensor(rng(18), [3, 5, 4], 2);
    await expectSameOnBoth(() => {
      const { mean, variance } = cjsCore.moments(tf.tensor3d(x.data, [3, 5, 4]), [1]);
      return [mean, variance];
    }, 1e-5, 'moments axis 1');
  });

  it.each([
    { shape: [4, 6, 6, 8], affine: true },
    { shape: [1, 5, 3, 16], affine: true },
    { shape: [2, 7, 7, 3], affine: true }, // (TF.js itself cannot differentiate batchNorm without gamma/beta)
  ])('training mode $shape (gamma/beta $affine): forward and gradients for x, gamma, beta', async ({ shape, affine }) => {
    const r = rng(shape[3]!);
    const x = randTensor(r, shape, 3);
    const g = randTensor(r, [shape[3]!]);
    const b = randTensor(r, [shape[3]!]);
    const dy = randTensor(r, shape);
    await expectSameOnBoth(() => {
      const xt = tf.tensor4d(x.data, shape as [number, number, number, number]);
      const gt = tf.tensor1d(g.data), bt = tf.tensor1d(b.data), dyt = tf.tensor(dy.data, shape);
      const y = trainingBatchNorm(xt, affine ? gt : undefined, affine ? bt : undefined);
      if (!affine) return [y, tf.grads((v) => tf.sum(tf.mul(trainingBatchNorm(v as tf.Tensor4D, undefined, undefined), dyt)))([xt])[0]!];
      const grads = tf.grads((v, p, q) => tf.sum(tf.mul(trainingBatchNorm(v as tf.Tensor4D, p as tf.Tensor1D, q as tf.Tensor1D), dyt)))([xt, gt, bt]);
      return [y, ...grads];
    }, 2e-4, `bn ${shape}`);
  });

  it('inference mode (fixed statistics) forward and gradients', async () => {
    const r = rng(99);
    const shape = [3, 4, 4, 5] as [number, number, number, number];
    const x = randTensor(r, shape), m = randTensor(r, [5]), v = randTensor(r, [5]), g = randTensor(r, [5]), b = randTensor(r, [5]);
    await expectSameOnBoth(() => {
      const mean = tf.tensor1d(m.data), variance = tf.add(tf.abs(tf.tensor1d(v.data)), 0.1) as tf.Tensor1D;
      const f = (xt: tf.Tensor4D, gt: tf.Tensor1D, bt: tf.Tensor1D) => tf.batchNorm4d(xt, mean, variance, bt, gt, 1e-3);
      const args = [tf.tensor4d(x.data, shape), tf.tensor1d(g.data), tf.tensor1d(b.data)] as const;
      return [f(...args), ...tf.grads((a, p, q) => tf.sum(tf.square(f(a as tf.Tensor4D, p as tf.Tensor1D, q as tf.Tensor1D))))([...args])];
    }, 1e-5, 'bn inference');
  });
});
