// Zero padding is made only when something reads it; convolutions read the unpadded source.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loaded } from '../../packages/tfjs-backend-native/lib/addon.js';
import { pool } from '../../packages/tfjs-backend-native/lib/pool.js';
import { expectSameOnBoth, native, randTensor, rng } from './harness.js';

type Pads = [[number, number], [number, number], [number, number], [number, number]];

describe.skipIf(!native.ok)('native-cpu lazy zero padding', () => {
  it.each([
    { pads: [[0, 0], [1, 1], [1, 1], [0, 0]] as Pads, k: 3, stride: 1 },
    { pads: [[0, 0], [3, 3], [3, 3], [0, 0]] as Pads, k: 7, stride: 2 },
    { pads: [[0, 0], [0, 2], [1, 0], [0, 0]] as Pads, k: 3, stride: 2 }, // asymmetric
  ])('pad then valid conv: forward, input and filter gradients match cpu (pads $pads, k $k)', async ({ pads, k, stride }) => {
    const r = rng(k * 10 + stride);
    const x = randTensor(r, [2, 9, 8, 5]);
    const w = randTensor(r, [k, k, 5, 6]);
    await expectSameOnBoth(() => {
      const xt = tf.tensor4d(x.data, [2, 9, 8, 5]);
      const wt = tf.tensor4d(w.data, [k, k, 5, 6]);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(tf.pad(tf.relu(a), pads) as tf.Tensor4D, b as tf.Tensor4D, stride, 'valid');
      const y = f(xt, wt);
      const [dx, dw] = tf.grads((a, b) => tf.sum(tf.mul(f(a, b), tf.onesLike(y))))([xt, wt]);
      return [y, dx!, dw!];
    }, 2e-4, `pads ${JSON.stringify(pads)}`);
  });

  it('never makes the padding a convolution and its filter gradient read', async () => {
    await tf.setBackend('native-cpu');
    const addon = loaded.addon!;
    const pad4d = addon.pad4d!;
    let made = 0;
    addon.pad4d = (...args: unknown[]) => {
      made++;
      return pad4d(...args);
    };
    try {
      const x = tf.tensor4d(randTensor(rng(8), [2, 6, 6, 4]).data, [2, 6, 6, 4]);
      const w = tf.variable(tf.tensor4d(randTensor(rng(9), [3, 3, 4, 4]).data, [3, 3, 4, 4]));
      const { grads } = tf.variableGrads(() => tf.sum(tf.conv2d(tf.pad(tf.relu(x), [[0, 0], [1, 1], [1, 1], [0, 0]]) as tf.Tensor4D, w, 1, 'valid')), [w]);
      expect(made).toBe(0);
      const p = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      p.dataSync();
      expect(made).toBe(1);
      tf.dispose([x, w, p, ...Object.values(grads)]);
    } finally {
      addon.pad4d = pad4d;
    }
  });

  it('makes the padding for any other reader: cpu kernels, reshapes, reads', async () => {
    const x = randTensor(rng(5), [1, 4, 4, 3]);
    await expectSameOnBoth(() => {
      const p = tf.pad(tf.relu(tf.tensor4d(x.data, [1, 4, 4, 3])), [[0, 0], [1, 2], [2, 1], [0, 0]]);
      const reshaped = tf.conv2d(tf.reshape(p, [1, 7, 21, 1]) as tf.Tensor4D, tf.ones([2, 2, 1, 1]) as tf.Tensor4D, 1, 'valid');
      return [p, tf.cumsum(tf.reshape(p, [-1])), reshaped];
    }, 1e-5, 'readers');
  });

  it("keeps the source's storage until the padding is made or dropped", async () => {
    await tf.setBackend('native-cpu');
    const n = 1 << 16;
    const src = tf.relu(tf.fill([1, 16, n / 16, 1], 2)); // pool memory
    const padded = tf.pad(src, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    src.dispose();
    const free = pool.freeBytes;
    const other = tf.relu(tf.fill([1, 16, n / 16, 1], -3)); // would reuse src's buffer if it were free
    expect(pool.freeBytes).toBe(free);
    const values = padded.dataSync();
    expect(values[0]).toBe(0);
    expect(values[(n / 16 + 2) + 1]).toBe(2); // row 1, column 1: the source's first element
    padded.dispose();
    other.dispose();
    const unread = tf.tidy(() => tf.pad(tf.relu(tf.fill([1, 16, n / 16, 1], 1)), [[0, 0], [1, 1], [1, 1], [0, 0]]));
    const before = pool.freeBytes;
    unread.dispose(); // its source (only held by the pending padding) goes back to the pool
    expect(pool.freeBytes).toBe(before + n * 4);
  });
});
