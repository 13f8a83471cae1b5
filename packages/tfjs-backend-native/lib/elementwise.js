// Unary and binary elementwise kernels, Sum/Mean over leading or trailing axes, and 4-D Pad/Slice
// (ZeroPadding2D and its gradient). Broadcasting is handled for the cases ResNet training uses
// (same shape, per-channel vector, scalar, and over one contiguous run of middle axes as in a
// spatial mean's gradient); everything else goes to the cpu kernel.
import { backend_util, slice_util, util } from '@tensorflow/tfjs-core';
import { canPadLazily, lazyZeroPad } from './lazy-pad.js';
import { knownZero, provenance } from './tracking.js';
import { alloc, f32, fallback, output, passthrough } from './util.js';

const UNARY = { Relu: 0, Step: 1, Square: 2, Sqrt: 3, Neg: 4, Rsqrt: 5, Exp: 6, Abs: 7 };
const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, SquaredDifference: 4, Maximum: 5, Minimum: 6 };

/** Shape without leading 1s: [1,1,1,C] -> [C]. */
function squeezeLeading(shape) {
  let i = 0;
  while (i < shape.length - 1 && shape[i] === 1) i++;
  return shape.slice(i);
}

/** How b broadcasts against a (see elementwise.cc), or -1 when we do not handle it. */
function broadcastMode(aShape, bShape, outShape) {
  const na = util.sizeFromShape(aShape), nb = util.sizeFromShape(bShape), no = util.sizeFromShape(outShape);
  if (na === no && nb === no) return util.arraysEqual(squeezeLeading(aShape), squeezeLeading(bShape)) ? 0 : -1;
  if (nb === 1 && na === no) return 3;
  if (na === 1 && nb === no) return 4;
  const c = outShape[outShape.length - 1];
  const bs = squeezeLeading(bShape), as = squeezeLeading(aShape);
  if (na === no && bs.length === 1 && bs[0] === c) return 1;
  if (nb === no && as.length === 1 && as[0] === c) return 2;
  return -1;
}

/**
 * When `small` broadcasts against `full` over one contiguous run of axes only ([N,1,1,C] against
 * [N,H,W,C]: the gradient of a spatial mean), the sizes of the blocks before and after that run.
 */
function middleBroadcast(fullShape, smallShape) {
  const rank = fullShape.length;
  if (smallShape.length > rank) return null;
  const s = [...Array(rank - smallShape.length).fill(1), ...smallShape];
  const ones = s.map((d, i) => d === 1 && fullShape[i] !== 1);
  const first = ones.indexOf(true), last = ones.lastIndexOf(true);
  if (first < 0 || s.some((d, i) => (i < first || i > last) && d !== fullShape[i])) return null;
  if (s.slice(first, last + 1).some((d) => d !== 1)) return null;
  return { outer: util.sizeFromShape(fullShape.slice(0, first)), inner: util.sizeFromShape(fullShape.slice(last + 1)) };
}

export function elementwiseKernels(addon, cpu) {
  // One per-channel call per outer block (mode 1: b is the small one, mode 2: a is).
  function blockwise(op, av, bv, out, smallIsB, { outer, inner }) {
    const block = out.length / outer;
    for (let o = 0; o < outer; o++) {
      const big = (smallIsB ? av : bv).subarray(o * block, (o + 1) * block);
      const small = (smallIsB ? bv : av).subarray(o * inner, (o + 1) * inner);
      addon.binary(op, smallIsB ? big : small, smallIsB ? small : big, out.subarray(o * block, (o + 1) * block), smallIsB ? 1 : 2, inner);
    }
  }

  const unary = Object.entries(UNARY).map(([name, op]) => ({
    kernelName: name,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x } = inputs;
      const xv = f32(backend, x);
      if (!xv) return fallback(cpu, name, { inputs, backend, attrs });
      const out = alloc(x.shape);
      addon.unary(op, xv, out, name === 'Step' ? (attrs.alpha ?? 0) : 0);
      const info = output(backend, x.shape, out);
      if (name === 'Square') provenance.square(info.dataId, x.dataId);
      return info;
    },
  }));

  const binary = Object.entries(BINARY).map(([name, op]) => ({
    kernelName: name,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs;
      const av = f32(backend, a), bv = f32(backend, b);
      if (!av || !bv) return fallback(cpu, name, { inputs, backend, attrs });
      const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const mode = broadcastMode(a.shape, b.shape, outShape);
      const size = util.sizeFromShape(outShape);
      const middle = mode >= 0 || size === 0 ? null
        : av.length === size ? middleBroadcast(outShape, b.shape) : bv.length === size ? middleBroadcast(outShape, a.shape) : null;
      if ((mode < 0 && !middle) || size === 0) return fallback(cpu, name, { inputs, backend, attrs });
      // x + 0: gradients sent down unused paths (see tracking.js) cost nothing.
      if (name === 'Add' && knownZero.has(b.dataId) && av.length === size) return passthrough(backend, a, outShape);
      if (name === 'Add' && knownZero.has(a.dataId) && bv.length === size) return passthrough(backend, b, outShape);
      const out = alloc(outShape);
      if (middle) blockwise(op, av, bv, out, av.length === size, middle);
      else addon.binary(op, av, bv, out, mode, outShape[outShape.length - 1] ?? 1);
      const info = output(backend, outShape, out);
      if (name === 'Sub') provenance.sub(info.dataId, a.dataId, b.dataId);
      return info;
    },
  }));

  // Sums over a contiguous run of axes: leading (per-channel statistics, bias gradients), trailing,
  // or middle (global average pooling: [N,H,W,C] over H,W), as row sums of [outer, mid, inner].
  function reduce(name, { inputs, backend, attrs }) {
    const { x } = inputs;
    const xv = f32(backend, x);
    const axes = xv ? util.parseAxisParam(attrs.axis, x.shape).sort((p, q) => p - q) : [];
    const r = x.shape.length;
    const k = axes.length;
    const contiguous = k > 0 && axes.every((ax, i) => ax === axes[0] + i);
    if (!xv || !contiguous || k === r || xv.length === 0) return fallback(cpu, name, { inputs, backend, attrs });
    const first = axes[0], last = axes[k - 1];
    const outer = util.sizeFromShape(x.shape.slice(0, first));
    const mid = util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = util.sizeFromShape(x.shape.slice(last + 1));
    const out = new Float32Array(outer * inner);
    const scale = name === 'Mean' ? 1 / mid : 1;
    if (inner === 1) addon.reduceCols(xv, outer, mid, out, scale);
    else if (outer === 1) addon.reduceRows(xv, mid, inner, out, scale);
    else {
      for (let o = 0; o < outer; o++) {
        addon.reduceRows(xv.subarray(o * mid * inner, (o + 1) * mid * inner), mid, inner, out.subarray(o * inner, (o + 1) * inner), scale);
      }
    }
    const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const info = output(backend, outShape, out);
    if (name === 'Mean' && first === 0 && k === r - 1) provenance.mean(info.dataId, x.dataId);
    return info;
  }

  const reductions = ['Sum', 'Mean'].map((name) => ({ kernelName: name, kernelFunc: (a) => reduce(name, a) }));

  const shape = [
    {
      kernelName: 'PadV2',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x } = inputs;
        const xv = f32(backend, x);
        if (!xv || x.shape.length !== 4 || xv.length === 0) return fallback(cpu, 'PadV2', { inputs, backend, attrs });
        const before = attrs.paddings.map((p) => p[0]), after = attrs.paddings.map((p) => p[1]);
        if (canPadLazily(x.shape, attrs.paddings, attrs.constantValue)) return lazyZeroPad(backend, addon, xv, x.shape, before, after);
        const outShape = x.shape.map((d, i) => d + before[i] + after[i]);
        const out = alloc(outShape);
        addon.pad4d(xv, x.shape, out, before, after, attrs.constantValue ?? 0);
        return output(backend, outShape, out);
      },
    },
    {
      kernelName: 'Slice',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x } = inputs;
        const xv = f32(backend, x);
        if (!xv || x.shape.length !== 4) return fallback(cpu, 'Slice', { inputs, backend, attrs });
        const [begin, size] = slice_util.parseSliceParams(x, attrs.begin, attrs.size);
        const out = alloc(size);
        addon.slice4d(xv, x.shape, out, begin, size);
        return output(backend, size, out);
      },
    },
  ];

  return [...unary, ...binary, ...reductions, ...shape];
}
