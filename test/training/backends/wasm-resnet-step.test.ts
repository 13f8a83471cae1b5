import * as tf from '@tensorflow/tfjs-core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/training/backends/index.js';
import { relativeError } from './compare.js';
import { tinyResnet, trainingStep } from './tiny-resnet.js';
import type { StepResult } from './tiny-resnet.js';

const SIZE = 16;
const BATCH = 3;
const pixels = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, (_, i) => Math.sin(i * 0.37) * 1.5);
const labels = [1, 0, 0, 1, 0, 1];

async function stepOn(backend: 'cpu' | 'wasm', weights: { data: Float32Array; shape: number[] }[]): Promise<StepResult> {
  await initBackend(backend, pino({ level: 'silent' }));
  const model = tinyResnet(SIZE);
  // Built from arrays on this backend: tfjs 4.22 moves some tensors between backends inexactly.
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  const x = tf.tensor4d(pixels, [BATCH, SIZE, SIZE, 3]);
  const y = tf.tensor2d(labels, [BATCH, 2]);
  try {
    return await trainingStep(model, x, y);
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

describe('training a ResNet-shaped model on wasm', () => {
  it('gives the cpu backend loss, gradients and Adam step (conv 7x7/2, BN, max-pool, residual + 1x1/2 projection, GAP)', async () => {
    await initBackend('cpu', pino({ level: 'silent' }));
    const init = tinyResnet(SIZE);
    const weights = init.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));
    init.dispose();

    const expected = await stepOn('cpu', weights);
    const actual = await stepOn('wasm', weights);

    expect(Object.keys(actual.grads).sort()).toEqual(Object.keys(expected.grads).sort());
    expect(Object.keys(expected.grads).length).toBe(20);
    expect(actual.loss).toBeCloseTo(expected.loss, 5);
    expect(actual.lossAfter).toBeCloseTo(expected.lossAfter, 4);
    expect(actual.lossAfter).toBeLessThan(actual.loss);
    for (const [name, grad] of Object.entries(expected.grads)) {
      expect(relativeError(grad, actual.grads[name] as Float32Array), name).toBeLessThan(1e-4);
    }
  });
});
