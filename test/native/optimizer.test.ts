import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, native, randTensor, rng } from './harness.js';

// A few Adam steps on a small quadratic, returning the weights and the optimizer's saved state.
async function adamRun(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const r = rng(21);
  const target = tf.tensor(randTensor(r, [4, 3, 5]).data, [4, 3, 5]);
  const w = tf.variable(tf.tensor(randTensor(r, [4, 3, 5]).data, [4, 3, 5]), true, `adam_w_${backend}`);
  const b = tf.variable(tf.tensor(randTensor(r, [5]).data, [5]), true, `adam_b_${backend}`);
  const opt = tf.train.adam(0.05, 0.8, 0.95, 1e-6);
  for (let i = 0; i < 4; i++) {
    opt.minimize(() => tf.sum(tf.square(tf.sub(tf.add(w, b), target))) as tf.Scalar, false, [w, b]);
  }
  const state = await opt.getWeights();
  const out = [w, b, ...state.map((s) => s.tensor)].map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([target, w, b]);
  opt.dispose();
  return out;
}

describe.skipIf(!native.ok)('tf.train.adam on native-cpu', () => {
  it('updates weights and moments like the cpu backend', async () => {
    let got: Float32Array[] = [];
    const profile = await tf.profile(async () => {
      got = await adamRun('native-cpu');
    });
    expect(profile.kernels.map((k) => k.name)).toContain('NativeAdam');
    const want = await adamRun('cpu');
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expectClose(g, want[i]!, 1e-6, `adam value ${i}`));
  });
});
