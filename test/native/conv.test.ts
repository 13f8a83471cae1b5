import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pool } from '../../packages/tfjs-backend-native/lib/pool.js';
import { expectClose, expectSameOnBoth, native, randTensor, rng } from './harness.js';

interface Case { batch: number; size: number; inC: number; outC: number; k: number; stride: 1 | 2; pad: 'same' | 'valid' }

// Every combination of filter 1/3/7, stride 1/2, padding same/valid and batch 1/>1, with random
// (odd and even) spatial sizes and channel counts.
function cases(): Case[] {
  const r = rng(7);
  const out: Case[] = [];
  for (const k of [1, 3, 7])
    for (const stride of [1, 2] as const)
      for (const pad of ['same', 'valid'] as const)
        for (const batch of [1, 3])
          out.push({ batch, k, stride, pad, size: k + 2 + Math.floor(r() * 8), inC: 1 + Math.floor(r() * 12), outC: 1 + Math.floor(r() * 12) });
  // ResNet18's own layer shapes (at a small spatial size): wide channels take other oneDNN kernels.
  out.push({ batch: 2, k: 7, stride: 2, pad: 'valid', size: 17, inC: 3, outC: 64 });
  out.push({ batch: 2, k: 3, stride: 1, pad: 'valid', size: 6, inC: 64, outC: 64 });
  out.push({ batch: 2, k: 3, stride: 2, pad: 'valid', size: 7, inC: 64, outC: 128 });
  out.push({ batch: 3, k: 1, stride: 2, pad: 'valid', size: 6, inC: 64, outC: 128 });
  out.push({ batch: 2, k: 1, stride: 2, pad: 'valid', size: 4, inC: 256, outC: 512 });
  return out;
}

const name = (c: Case) => `${c.batch}x${c.size}x${c.size}x${c.inC} * ${c.k}x${c.k}x${c.outC} stride ${c.stride} ${c.pad}`;

async function expectConvSameOnBoth(c: Case): Promise<void> {
  const r = rng(c.batch * 1000 + c.size * 10 + c.k);
  const x = randTensor(r, [c.batch, c.size, c.size, c.inC]);
  const w = randTensor(r, [c.k, c.k, c.inC, c.outC]);
  const f = () => {
    const xt = tf.tensor4d(x.data, x.shape as [number, number, number, number]);
    const wt = tf.tensor4d(w.data, w.shape as [number, number, number, number]);
    const y = tf.conv2d(xt, wt, c.stride, c.pad);
    const dy = tf.tensor(randTensor(rng(3), y.shape).data, y.shape);
    const [dx, dw] = tf.grads((a, b) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)))([xt, wt]);
    return [y, dx!, dw!];
  };
  await expectSameOnBoth(f, 2e-4, name(c));
}

describe.skipIf(!native.ok)('native-cpu convolution and pooling match cpu', () => {
  it.each(cases())('Conv2D forward and gradients: %#', expectConvSameOnBoth);

  // "auto" mixes NHWC and blocked primitives per shape; each layout must be right on its own.
  it.each(['nhwc', 'blocked'])('Conv2D on ResNet18 layer shapes with every primitive in the %s layout', async (layout) => {
    const { setConvLayout } = await import('@dagctl/tfjs-backend-native');
    setConvLayout(layout as 'nhwc' | 'blocked');
    try {
      for (const c of cases().slice(-5)) await expectConvSameOnBoth(c);
    } finally {
      setConvLayout('auto');
    }
  });

  it('runs no backward-data convolution for an input that needs no gradient (the image batch)', async () => {
    await tf.setBackend('native-cpu');
    const r = rng(4);
    const x = tf.tensor4d(randTensor(r, [2, 9, 9, 3]).data, [2, 9, 9, 3]);
    const w = tf.variable(tf.tensor4d(randTensor(r, [3, 3, 3, 4]).data, [3, 3, 3, 4]));
    // tfjs-layers' Conv2D calls tf.fused.conv2d; its own gradient computes both inputs' gradients.
    const profile = await tf.profile(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same' })), [w]);
      tf.dispose(Object.values(grads));
    });
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels).toContain('Conv2DBackpropFilter');
    expect(kernels).not.toContain('Conv2DBackpropInput');
    tf.dispose([x, w]);
  });

  it('never convolves with a cached filter after the weights changed, even in reused storage', async () => {
    await tf.setBackend('native-cpu');
    const r = rng(21);
    const x = tf.tensor4d(randTensor(r, [1, 9, 9, 64]).data, [1, 9, 9, 64]);
    const raw = randTensor(r, [3, 3, 64, 64]);
    const expected = async (w: tf.Tensor4D) => {
      const data = w.dataSync().slice();
      const xs = x.dataSync().slice();
      await tf.setBackend('cpu');
      const y = tf.conv2d(tf.tensor4d(xs, [1, 9, 9, 64]), tf.tensor4d(data, [3, 3, 64, 64]), 1, 'same');
      const out = y.dataSync().slice() as Float32Array;
      await tf.setBackend('native-cpu');
      return out;
    };
    // Filters made by a native kernel live in pool memory: the second one reuses the first's buffer.
    const w1 = tf.relu(tf.tensor4d(raw.data, [3, 3, 64, 64])) as tf.Tensor4D;
    const want1 = await expected(w1);
    expectClose(tf.conv2d(x, w1, 1, 'same').dataSync() as Float32Array, want1, 2e-4, 'first weights');
    const free = pool.freeBytes;
    w1.dispose();
    expect(pool.freeBytes).toBe(free + raw.data.byteLength);
    const w2 = tf.relu(tf.tensor4d(raw.data.map((v) => -v), [3, 3, 64, 64])) as tf.Tensor4D;
    expect(pool.freeBytes).toBe(free); // w2 took w1's buffer
    const want2 = await expected(w2);
    expectClose(tf.conv2d(x, w2, 1, 'same').dataSync() as Float32Array, want2, 2e-4, 'second weights');
    tf.dispose([x, w2]);
  });

  it.each([
    { activation: 'relu' as const, bias: true },
    { activation: 'linear' as const, bias: true },
    { activation: 'relu' as const, bias: false },
    { activation: 'linear' as const, bias: false },
  ])('FusedConv2D ($activation, bias $bias) forward and gradients', async ({ activation, bias }) => {
    const r = rng(11);
    const x = randTensor(r, [2, 9, 9, 5]);
    const w = randTensor(r, [3, 3, 5, 6]);
    const b = randTensor(r, [6]);
    const f = () => {
      const xt = tf.tensor4d(x.data, [2, 9, 9, 5]);
      const wt = tf.tensor4d(w.data, [3, 3, 5, 6]);
      const bt = tf.tensor1d(b.data);
      const conv = (a: tf.Tensor4D, k: tf.Tensor4D, bb: tf.Tensor1D) =>
        tf.fused.conv2d({ x: a, filter: k, strides: 2, pad: 'same', bias: bias ? bb : undefined, activation });
      const y = conv(xt, wt, bt);
      const dy = tf.tensor(randTensor(rng(5), y.shape).data, y.shape);
      if (!bias) return [y, ...tf.grads((a, k) => tf.sum(tf.mul(conv(a as tf.Tensor4D, k as tf.Tensor4D, bt), dy)))([xt, wt])];
      return [y, ...tf.grads((a, k, bb) => tf.sum(tf.mul(conv(a as tf.Tensor4D, k as tf.Tensor4D, bb as tf.Tensor1D), dy)))([xt, wt, bt])];
    };
    await expectSameOnBoth(f, 2e-4, `fused ${activation}`);
  });

  it.each([
    { k: 3, s: 2, pad: 'valid' as const, size: 11 },
    { k: 3, s: 2, pad: 'same' as const, size: 10 },
    { k: 2, s: 2, pad: 'valid' as const, size: 8 },
    { k: 3, s: 1, pad: 'same' as const, size: 7 },
  ])('MaxPool $k x $k stride $s $pad forward and gradient', async ({ k, s, pad, size }) => {
    // Distinct values (a permutation) so the argmax, hence the gradient, is unambiguous.
    const n = 2 * size * size * 4;
    const r = rng(size);
    const perm = Float32Array.from({ length: n }, (_, i) => i / n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const f = () => {
      const xt = tf.tensor4d(perm, [2, size, size, 4]);
      const y = tf.maxPool(xt, k, s, pad);
      const dy = tf.tensor(randTensor(rng(9), y.shape).data, y.shape);
      const [dx] = tf.grads((a) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, pad), dy)))([xt]);
      return [y, dx!];
    };
    await expectSameOnBoth(f, 1e-6, `maxpool ${k} ${s} ${pad}`);
  });

  it("MaxPool's gradient rebuilds the argmax when the last forward of that shape had another input", async () => {
    const r = rng(31);
    const shape: [number, number, number, number] = [2, 8, 8, 4];
    const [a, b] = [randTensor(r, shape), randTensor(r, shape)];
    const f = () => {
      const [x1, x2] = [tf.tensor4d(a.data, shape), tf.tensor4d(b.data, shape)];
      const dy = tf.tensor4d(randTensor(rng(2), [2, 4, 4, 4]).data, [2, 4, 4, 4]);
      // The backward meets x2's pooling first (its workspace is the latest), then x1's.
      const loss = (p: tf.Tensor, q: tf.Tensor) =>
        tf.add(tf.sum(tf.mul(tf.maxPool(p as tf.Tensor4D, 2, 2, 'valid'), dy)), tf.sum(tf.mul(tf.maxPool(q as tf.Tensor4D, 2, 2, 'valid'), tf.neg(dy))));
      return tf.grads(loss)([x1, x2]);
    };
    await expectSameOnBoth(f, 1e-6, 'maxpool two inputs');
  });
});
