// tfjs-layers runs every Conv2D layer through tf.fused.conv2d, whose gradient (a customGrad)
// computes the input and the filter gradients eagerly, whether or not the input needs one. The
// first convolution's input is the image batch: PyTorch skips its input gradient, TF.js computed
// it (the costliest backward-data call of the network, ~4% of a 224x224 step). Without bias and
// activation the fused op is plain conv2d, whose registered gradient is lazy per input, so on this
// backend that case takes tf.conv2d. Patched on tfjs-core's CommonJS exports, which tfjs-layers uses.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function patchFusedConv(backendName) {
  const core = require('@tensorflow/tfjs-core');
  const fused = core.fused;
  if (!fused || typeof fused.conv2d !== 'function' || fused.conv2d.__native) return false;
  const original = fused.conv2d;
  const conv2d = function conv2d(args) {
    const { x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1], dimRoundingMode, bias, activation = 'linear', preluActivationWeights } = args;
    if (core.getBackend() === backendName && bias == null && activation === 'linear' && preluActivationWeights == null) {
      return core.conv2d(x, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
    }
    return original(args);
  };
  conv2d.__native = true;
  fused.conv2d = conv2d;
  return true;
}
