// Gradient overrides. TF.js keeps one gradient registry for all backends, so each override wraps
// the original and only takes its own path while 'native-cpu' is the active backend:
//  - FusedBatchNorm: when mean/variance are x's batch statistics (training mode; tracked by our
//    kernels while tf.moments runs), one native pass computes the full dx, dscale, doffset, and
//    the statistics get known-zero gradients instead of TF.js's composite (~15 full passes);
//  - Relu: dy * (x > 0) in one pass instead of step + cast + mul;
//  - Mean/Sum/Square/Sub/Add/Mul/Cast...: a known-zero dy gives known-zero input gradients with no
//    computation, so those unused paths through tf.moments cost nothing.
import { knownZero, provenance } from './tracking.js';
import { BATCH_NORM_GRAD, MOMENTS, MOMENTS_GRAD, RELU_GRAD, markedZeros } from './norm.js';

const ZERO_PASSING = ['Mean', 'Sum', 'Square', 'Sub', 'Add', 'Multiply', 'RealDiv', 'SquaredDifference', 'Reshape'];

export function installGradients(tf, backendName) {
  const active = () => tf.getBackend() === backendName;

  const wrap = (kernelName, fast) => {
    const orig = tf.getGradient(kernelName);
    if (!orig || orig.__native) return;
    tf.registerGradient({
      ...orig,
      __native: true,
      gradFunc: (dy, saved, attrs) => (active() && fast(dy, saved, attrs, orig)) || orig.gradFunc(dy, saved, attrs),
    });
  };

  wrap('FusedBatchNorm', (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved;
    if (!provenance.isBatchStats(x.dataId, mean.dataId, variance.dataId) || dy.dtype !== 'float32') return null;
    // Computed here, not in the thunks: the tape runs each thunk in its own tidy, which would dispose
    // the outputs the other thunks still need. Unrequested outputs die with the backward tidy.
    const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD,
      scale ? { x, dy, mean, variance, scale } : { x, dy, mean, variance }, { varianceEpsilon: attrs.varianceEpsilon });
    const shapes = { mean: mean.shape, variance: variance.shape, scale: scale?.shape };
    return {
      x: () => dx,
      mean: () => markedZeros(tf, shapes.mean),
      variance: () => markedZeros(tf, shapes.variance),
      scale: () => (shapes.scale && shapes.scale.length !== 1 ? tf.reshape(dScale, shapes.scale) : dScale),
      offset: () => dOffset,
    };
  });

  // ReLU's gradient keeps its output y instead of its input x: relu(x) > 0 exactly where x > 0, so
  // the result is identical on every backend, and the input (a batch-norm output in ResNet) is freed
  // after the forward pass instead of living until the backward (~6 MB per image at 224x224).
  const relu = tf.getGradient('Relu');
  if (relu && !relu.__native) {
    tf.registerGradient({
      kernelName: 'Relu',
      inputsToSave: [],
      outputsToSave: [true],
      __native: true,
      gradFunc: (dy, saved) => {
        const [y] = saved;
        if (active() && dy.dtype === 'float32' && y.dtype === 'float32') {
          return {
            x: () => tf.engine().runKernel(RELU_GRAD, { dy, x: y }, {}),
          };
        }
        return relu.gradFunc(dy, [y]);
      },
    });
  }

  // NativeMoments only runs on this backend, so its gradient needs no fallback. Its output
  // gradients are known zeros when the FusedBatchNorm fast path consumed the statistics.
  tf.registerGradient({
    kernelName: MOMENTS,
    inputsToSave: ['x'],
    outputsToSave: [true, false],
    gradFunc: (dys, saved) => {
      const [x, mean] = saved;
      const [dMean, dVariance] = dys;
      const isZero = (t) => knownZero.has(t.dataId) || t.dataSync().every((v) => v === 0);
      if (isZero(dMean) && isZero(dVariance)) return { x: () => markedZeros(tf, x.shape) };
      return { x: () => tf.engine().runKernel(MOMENTS_GRAD, { x, mean, dMean, dVariance }, {}) };
    },
  });

  for (const name of ZERO_PASSING) {
    wrap(name, (dy, saved, _attrs, orig) => {
      if (Array.isArray(dy) || !knownZero.has(dy.dataId)) return null;
      const names = orig.inputsToSave ?? [];
      if (names.length !== saved.length || names.length === 0) return null;
      return Object.fromEntries(names.map((n, i) => [n, () => markedZeros(tf, saved[i].shape)]));
    });
  }
}
