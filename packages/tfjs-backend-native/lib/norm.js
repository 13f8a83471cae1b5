// FusedBatchNorm forward, plus two kernels only our gradients call: the closed-form batch-norm
// backward and ReLU's backward in one pass. They are registered for 'native-cpu' only; the
// gradient wrappers in gradients.js decide when to use them.
import { util } from '@tensorflow/tfjs-core';
import { knownZero, provenance, sharedZeros } from './tracking.js';
import { alloc, f32, fallback, output } from './util.js';

export const BATCH_NORM_GRAD = 'NativeBatchNormGrad';
export const RELU_GRAD = 'NativeReluGrad';
export const MOMENTS = 'NativeMoments';
export const MOMENTS_GRAD = 'NativeMomentsGrad';

export function normKernels(addon, cpu) {
  return [
    {
      kernelName: 'FusedBatchNorm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, mean, variance, scale, offset } = inputs;
        const c = x.shape[x.shape.length - 1];
        const xv = f32(backend, x), mv = f32(backend, mean), vv = f32(backend, variance);
        const sv = scale ? f32(backend, scale) : null, ov = offset ? f32(backend, offset) : null;
        const perChannel = (v) => v && v.length === c;
        const ok = xv && xv.length > 0 && perChannel(mv) && perChannel(vv) && (!scale || perChannel(sv)) && (!offset || perChannel(ov));
        if (!ok) return fallback(cpu, 'FusedBatchNorm', { inputs, backend, attrs });
        const out = alloc(x.shape);
        addon.batchNorm(xv, xv.length / c, c, mv, vv, sv, ov, attrs.varianceEpsilon ?? 0.001, out);
        return output(backend, x.shape, out);
      },
    },
    {
      // inputs x, dy, mean, variance, scale?; outputs [dx, dScale, dOffset] (dScale/dOffset per channel).
      kernelName: BATCH_NORM_GRAD,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, dy, mean, variance, scale } = inputs;
        const c = x.shape[x.shape.length - 1];
        const dx = alloc(x.shape), ds = new Float32Array(c), doff = new Float32Array(c);
        addon.batchNormGrad(f32(backend, x), f32(backend, dy), dx.length / c, c, f32(backend, mean), f32(backend, variance),
          scale ? f32(backend, scale) : null, attrs.varianceEpsilon, dx, ds, doff);
        return [output(backend, x.shape, dx), output(backend, [c], ds), output(backend, [c], doff)];
      },
    },
    {
      // inputs x (float32, rank >= 2); outputs [mean, variance] over every axis but the last.
      kernelName: MOMENTS,
      kernelFunc: ({ inputs, backend }) => {
        const { x } = inputs;
        const c = x.shape[x.shape.length - 1];
        const mean = new Float32Array(c), variance = new Float32Array(c);
        const xv = f32(backend, x);
        addon.moments(xv, xv.length / c, c, mean, variance);
        const out = [output(backend, [c], mean), output(backend, [c], variance)];
        provenance.batchStats(out[0].dataId, out[1].dataId, x.dataId);
        return out;
      },
    },
    {
      // inputs x, mean, dMean, dVariance; output dx.
      kernelName: MOMENTS_GRAD,
      kernelFunc: ({ inputs, backend }) => {
        const { x, mean, dMean, dVariance } = inputs;
        const c = x.shape[x.shape.length - 1];
        const dx = alloc(x.shape);
        const xv = f32(backend, x);
        addon.momentsGrad(xv, xv.length / c, c, f32(backend, mean), f32(backend, dMean), f32(backend, dVariance), dx);
        return output(backend, x.shape, dx);
      },
    },
    {
      kernelName: RELU_GRAD,
      kernelFunc: ({ inputs, backend }) => {
        const { dy, x } = inputs;
        const out = alloc(x.shape);
        addon.reluGrad(f32(backend, dy), f32(backend, x), out);
        return output(backend, x.shape, out);
      },
    },
  ];
}

/**
 * Zeros that the Add kernel and the wrapped gradients recognise. They are never read in the fast
 * path, and tensors are immutable, so all share one zero-filled buffer instead of each allocating
 * activation-sized memory (which V8 counts as external memory and answers with GCs).
 */
export function markedZeros(tf, shape) {
  const backend = tf.backend();
  const z = tf.engine().makeTensorFromTensorInfo(backend.makeTensorInfo(shape, 'float32', sharedZeros(util.sizeFromShape(shape))));
  knownZero.mark(z.dataId);
  return z;
}
