// The backward pass frees each node's output gradients and saved tensors once that node has run,
// as PyTorch does, instead of holding them all until the pass ends.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { native } from './harness.js';

const N = 1 << 16;
const DEPTH = 12;

/** How far tensor memory rises above its level at the start of a DEPTH-long chain's backward pass. */
async function backwardGrowth(backend: string): Promise<{ growth: number; grad: Float32Array }> {
  await tf.setBackend(backend);
  const x = tf.variable(tf.fill([N], 0.5));
  const profile = await tf.profile(() => {
    const { grads } = tf.variableGrads(() => {
      let y: tf.Tensor = x;
      for (let i = 0; i < DEPTH; i++) y = tf.relu(tf.mul(y, 1.01));
      return tf.sum(y) as tf.Scalar;
    }, [x]);
    return grads[x.name] as tf.Tensor;
  });
  const grad = (profile.result as tf.Tensor).dataSync() as Float32Array;
  const backward = profile.kernels.slice(profile.kernels.findIndex((k) => k.name === 'Sum') + 1).map((k) => k.totalBytesSnapshot);
  tf.dispose([profile.result as tf.Tensor, x]);
  return { growth: Math.max(...backward) - backward[0]!, grad: Float32Array.from(grad) };
}

describe.skipIf(!native.ok)('native-cpu backward pass memory', () => {
  it('holds about one gradient at a time instead of one per node', async () => {
    const nativeRun = await backwardGrowth('native-cpu');
    const cpuRun = await backwardGrowth('cpu');
    const perTensor = N * 4;
    // tfjs-core alone keeps every intermediate gradient: at least 2 per link of the chain.
    expect(cpuRun.growth).toBeGreaterThan(2 * DEPTH * perTensor);
    expect(nativeRun.growth).toBeLessThanOrEqual(2 * perTensor);
    expect(nativeRun.grad).toEqual(cpuRun.grad);
  });

  it("leaves the caller's dy and a gradient passed through unchanged intact", async () => {
    await tf.setBackend('native-cpu');
    const x = tf.fill([N], 2);
    const dy = tf.fill([N], 3);
    // Identity-like gradients (reshape, add) hand dy through; the chain's first dy is the caller's.
    const g = tf.grad((a: tf.Tensor) => tf.add(tf.reshape(tf.relu(a), [N]), 1))(x, dy);
    expect(dy.isDisposed).toBe(false);
    expect(dy.dataSync()[0]).toBe(3);
    expect(g.dataSync()[N - 1]).toBe(3);
    tf.dispose([x, dy, g]);
  });
});
