// Two facts about tensors, keyed by their (immutable) storage ids, that let the backward pass of
// training-mode batch norm skip TF.js's composite gradient:
//  - provenance: which tensors are the batch mean / variance of which input (recorded by our Mean,
//    Sub and Square kernels as tf.moments computes them), so the FusedBatchNorm gradient can use
//    the closed form that already includes the paths through the statistics;
//  - known zeros: the gradients that closed form then sends down those paths, which our Add passes
//    through and the wrapped gradients of Mean/Square/Sub/... answer with zeros, without passes.
// Both are optimisations only: a tensor that is not tracked takes the ordinary path.

const meanOf = new WeakMap(); // mean dataId -> x dataId
const diffOf = new WeakMap(); // (x - mean) dataId -> x dataId
const sqDiffOf = new WeakMap(); // (x - mean)^2 dataId -> x dataId
const varOf = new WeakMap(); // variance dataId -> x dataId
const zeros = new WeakSet();

export const provenance = {
  mean(out, x) {
    const src = sqDiffOf.get(x);
    if (src !== undefined) varOf.set(out, src);
    else meanOf.set(out, x);
  },
  sub(out, a, b) {
    if (meanOf.get(b) === a) diffOf.set(out, a);
  },
  square(out, x) {
    const src = diffOf.get(x);
    if (src !== undefined) sqDiffOf.set(out, src);
  },
  /** Recorded by NativeMoments, which computes both statistics in one kernel. */
  batchStats(mean, variance, x) {
    meanOf.set(mean, x);
    varOf.set(variance, x);
  },
  /** True when mean and variance are the biased batch statistics of x over all but the last axis. */
  isBatchStats(x, mean, variance) {
    return meanOf.get(mean) === x && varOf.get(variance) === x;
  },
};

export const knownZero = {
  mark(dataId) {
    zeros.add(dataId);
  },
  has(dataId) {
    return zeros.has(dataId);
  },
};

// One zero-filled buffer (grown on demand) behind every known-zero tensor; backend.js hands
// readers copies of it so that nobody can write into it.
let zeroBuffer = new Float32Array(0);
const zeroBuffers = new WeakSet();

/** A read-only zero view of n elements. */
export function sharedZeros(n) {
  if (zeroBuffer.length < n) {
    zeroBuffer = new Float32Array(n);
    zeroBuffers.add(zeroBuffer.buffer);
  }
  return zeroBuffer.subarray(0, n);
}

export function isSharedZeros(values) {
  return values?.buffer instanceof ArrayBuffer && zeroBuffers.has(values.buffer);
}
