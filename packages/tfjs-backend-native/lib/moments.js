// tf.moments over every axis but the channels (what tfjs-layers' BatchNormalization does in
// training) as one native kernel instead of mean + sub + square + mean: 2 read passes instead of 6
// passes, and no (x - mean) / (x - mean)^2 tensors kept alive for the backward pass (at batch 64
// and 224x224 those are ~1.3 GB). tfjs-layers calls moments through tfjs-core's CommonJS exports
// object, so that is where it is replaced; the replacement defers to the original whenever
// another backend is active or the call is not the per-channel case.
import { createRequire } from 'node:module';
import { MOMENTS } from './norm.js';

const require = createRequire(import.meta.url);

export function patchMoments(backendName) {
  const core = require('@tensorflow/tfjs-core');
  const d = Object.getOwnPropertyDescriptor(core, 'moments');
  if (!d || !('value' in d) || !d.writable || core.moments.__native) return false;
  const original = core.moments;
  const moments = function moments(x, axis = null, keepDims = false) {
    if (core.getBackend() === backendName && x instanceof core.Tensor && x.dtype === 'float32' && x.rank >= 2 && x.size > 0) {
      const axes = core.util.parseAxisParam(axis, x.shape).slice().sort((p, q) => p - q);
      if (axes.length === x.rank - 1 && axes.every((a, i) => a === i)) {
        const [mean, variance] = core.engine().runKernel(MOMENTS, { x }, {});
        if (!keepDims) return { mean, variance };
        const kept = x.shape.map((dim, i) => (i < x.rank - 1 ? 1 : dim));
        return { mean: core.reshape(mean, kept), variance: core.reshape(variance, kept) };
      }
    }
    return original(x, axis, keepDims);
  };
  moments.__native = true;
  core.moments = moments;
  return true;
}
