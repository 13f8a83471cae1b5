import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { expectSameOnBoth, native, randTensor, rng } from './harness.js';

const t = (r: () => number, shape: number[], scale = 1) => {
  const v = randTensor(r, shape, scale);
  return () => tf.tensor(v.data, shape);
};

describe.skipIf(!native.ok)('native-cpu elementwise, reductions, pad/slice, matmul match cpu', () => {
  const binaries = {
    add: tf.add,
    sub: tf.sub,
    mul: tf.mul,
    div: tf.div,
    squaredDifference: tf.squaredDifference,
    maximum: tf.maximum,
    minimum: tf.minimum,
  };
  const shapes: [number[], number[]][] = [
    [[2, 5, 5, 6], [2, 5, 5, 6]], // same shape
    [[2, 5, 5, 6], [6]], // per-channel
    [[2, 5, 5, 6], [1, 1, 1, 6]],
    [[6], [3, 4, 6]], // per-channel on the left
    [[3, 7], []], // scalar
    [[], [3, 7]],
    [[2, 3, 4], [2, 1, 4]], // over a middle axis, as a spatial mean's gradient broadcasts
    [[2, 1, 1, 6], [2, 4, 5, 6]],
    [[2, 3, 4], [1, 3, 1]], // unsupported broadcast -> cpu fallback
  ];
  it.each(Object.keys(binaries))('%s with every broadcast pattern, forward and gradients', async (op) => {
    const fn = binaries[op as keyof typeof binaries];
    for (const [sa, sb] of shapes) {
      const r = rng(sa.length * 10 + sb.length);
      const a = t(r, sa), b = t(r, sb, op === 'div' ? 0.5 : 1);
      await expectSameOnBoth(() => {
        const at = a(), bt = op === 'div' ? tf.add(b(), 2) : b();
        const y = fn(at, bt);
        // TF.js's own gradients for these three do not reduce over broadcast axes.
        const noBroadcastGrad = ['squaredDifference', 'maximum', 'minimum'].includes(op);
        if (noBroadcastGrad && JSON.stringify(sa) !== JSON.stringify(sb)) return [y];
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(fn(p, q), tf.mul(tf.onesLike(y), 0.5))))([at, bt]);
        return [y, ga!, gb!];
      }, 1e-5, `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`);
    }
  });

  it.each(['relu', 'square', 'sqrt', 'neg', 'rsqrt', 'exp', 'abs', 'step'] as const)('%s forward and gradient', async (op) => {
    const x = t(rng(3), [3, 8, 8, 5]);
    const positive = op === 'sqrt' || op === 'rsqrt';
    const f = (v: tf.Tensor) => (op === 'step' ? tf.step(v, 0.1) : tf[op](positive ? tf.add(tf.abs(v), 0.5) : v));
    await expectSameOnBoth(() => {
      const xt = x();
      const dy = t(rng(4), [3, 8, 8, 5])();
      return op === 'step' ? [f(xt)] : [f(xt), tf.grads((v: tf.Tensor) => tf.sum(tf.mul(f(v), dy)))([xt])[0]!];
    }, 1e-5, op);
  });

  it.each([
    { axis: [0, 1, 2], keepDims: false },
    { axis: [0, 1, 2], keepDims: true },
    { axis: [0], keepDims: false },
    { axis: [3], keepDims: false },
    { axis: [1, 2], keepDims: false }, // middle axes -> cpu fallback
    { axis: [2, 3], keepDims: true },
    { axis: [0, 1, 2, 3], keepDims: false },
  ])('sum and mean over $axis (keepDims $keepDims) with gradients', async ({ axis, keepDims }) => {
    const x = t(rng(5), [4, 6, 7, 9]);
    for (const op of [tf.sum, tf.mean]) {
      await expectSameOnBoth(() => {
        const xt = x();
        return [op(xt, axis, keepDims), tf.grads((v: tf.Tensor) => tf.sum(tf.square(op(v, axis, keepDims))))([xt])[0]!];
      }, 1e-5, `${op.name} ${axis}`);
    }
  });

  it('pad (ZeroPadding2D) and its gradient (slice)', async () => {
    const x = t(rng(6), [2, 5, 6, 3]);
    await expectSameOnBoth(() => {
      const xt = x();
      const pads: [number, number][] = [[0, 0], [3, 3], [1, 2], [0, 0]];
      const dy = t(rng(7), [2, 11, 9, 3])();
      return [tf.pad(xt, pads), tf.pad(xt, [[1, 0], [0, 1], [2, 0], [1, 1]], 1.5),
        tf.grads((v: tf.Tensor) => tf.sum(tf.mul(tf.pad(v, pads), dy)))([xt])[0]!, tf.slice(xt, [1, 1, 2, 0], [1, 3, -1, 2])];
    }, 0, 'pad');
  });

  it.each([
    { a: [5, 7], b: [7, 3], ta: false, tb: false },
    { a: [7, 5], b: [7, 3], ta: true, tb: false },
    { a: [5, 7], b: [3, 7], ta: false, tb: true },
    { a: [2, 4, 7], b: [2, 7, 3], ta: false, tb: false },
    { a: [2, 4, 7], b: [1, 7, 3], ta: false, tb: false, forwardOnly: true }, // TF.js's own gradient rejects batch broadcasting
  ] as { a: number[]; b: number[]; ta: boolean; tb: boolean; forwardOnly?: boolean }[])('matMul $a x $b (transpose $ta/$tb), plain and fused with bias + relu, with gradients', async ({ a, b, ta, tb, forwardOnly }) => {
    const r = rng(a.length + b[0]!);
    const at = t(r, a), bt = t(r, b);
    const n = tb ? b[b.length - 2]! : b[b.length - 1]!;
    const bias = t(r, [n]);
    await expectSameOnBoth(() => {
      const x = at(), y = bt(), z = bias();
      const fused = (p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) =>
        tf.fused.matMul({ a: p, b: q, transposeA: ta, transposeB: tb, bias: s, activation: 'relu' });
      if (forwardOnly) return [tf.matMul(x, y, ta, tb), fused(x, y, z)];
      return [tf.matMul(x, y, ta, tb), fused(x, y, z), ...tf.grads((p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) => tf.sum(fused(p, q, s)))([x, y, z])];
    }, 1e-5, 'matmul');
  });
});
