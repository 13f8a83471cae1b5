import * as tf from '@tensorflow/tfjs-core';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendError, initBackend, releaseBackend } from '../../../src/training/backends/index.js';
import type { BackendInfo } from '../../../src/training/backends/index.js';
import { relativeError } from './compare.js';
import { tinyResnet, trainingStep } from './tiny-resnet.js';
import type { StepResult } from './tiny-resnet.js';

const SIZE = 8;
const BATCH = 2;
const pixels = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, (_, i) => Math.cos(i * 0.29));
const labels = [0, 1, 1, 0];
const silent = pino({ level: 'silent' });

async function stepOn(weights: { data: Float32Array; shape: number[] }[]): Promise<{ step: StepResult; logits: Float32Array }> {
  const model = tinyResnet(SIZE, 4);
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  const x = tf.tensor4d(pixels, [BATCH, SIZE, SIZE, 3]);
  const y = tf.tensor2d(labels, [BATCH, 2]);
  try {
    const out = model.predict(x) as tf.Tensor;
    const logits = (await out.data()) as Float32Array;
    out.dispose();
    return { step: await trainingStep(model, x, y), logits };
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

// Runs where Dawn finds an adapter (a GPU, or Mesa's llvmpipe through EGL); elsewhere the second
// test checks that the failure is explained.
let webgpu: BackendInfo | BackendError;
async function tryWebgpu(): Promise<BackendInfo | BackendError> {
  return initBackend('webgpu', silent).catch((err: unknown) => {
    if (err instanceof BackendError) return err;
    throw err;
  });
}

describe('webgpu backend (opt-in)', () => {
  afterAll(() => releaseBackend());

  it('runs a tiny conv net forward and one training step like the cpu backend, or explains why it cannot start', async () => {
    await initBackend('cpu', silent);
    const init = tinyResnet(SIZE, 4);
    const weights = init.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));
    init.dispose();
    const expected = await stepOn(weights);

    webgpu = await tryWebgpu();
    if (webgpu instanceof BackendError) {
      expect(webgpu.code).toBe('backend_unavailable');
      expect(webgpu.message).toMatch(/webgpu/);
      expect(webgpu.hint).toMatch(/docs\/backends\.md/);
      return;
    }
    expect(webgpu).toMatchObject({ name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu' });
    expect(tf.getBackend()).toBe('webgpu');
    const actual = await stepOn(weights);
    expect(relativeError(expected.logits, actual.logits)).toBeLessThan(1e-4);
    expect(actual.step.loss).toBeCloseTo(expected.step.loss, 4);
    expect(actual.step.lossAfter).toBeCloseTo(expected.step.lossAfter, 3);
    for (const [name, grad] of Object.entries(expected.step.grads)) {
      expect(relativeError(grad, actual.step.grads[name] as Float32Array), name).toBeLessThan(1e-3);
    }
  });

  it('says to read tensors asynchronously instead of failing on a missing OffscreenCanvas', async ({ skip }) => {
    if (!(tf.getBackend() === 'webgpu')) skip('no WebGPU adapter here');
    // Large enough that tfjs-backend-webgpu computes it on the GPU rather than handing it to the CPU.
    const t = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
    expect(() => t.dataSync()).toThrow(/await tensor\.data\(\)/);
    expect((await t.data())[0]).toBe(64);
    t.dispose();
  });
});
