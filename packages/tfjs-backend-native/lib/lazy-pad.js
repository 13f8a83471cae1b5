// Zero padding that is not written until something reads it. ResNet18 zero-pads the input of every
// 3x3 convolution (ZeroPadding2D + 'valid', which is how torchvision's symmetric padding is built);
// the convolution and its filter gradient read the unpadded source with oneDNN's own padding
// instead, so the padded copy, and the ~11 MB per image of them that the backward pass kept, is
// usually never made. Any other reader (a cpu kernel, dataSync, ...) gets it made on its first
// access to the storage entry's `values`.
import { util } from '@tensorflow/tfjs-core';
import { pool } from './pool.js';

const pending = new WeakMap(); // dataId -> { src, srcShape, before, after, shape }
const PLACEHOLDER = new Float32Array(0);

/** A [N,H,W,C] float32 tensor padded with zeros on H and W only; its values are made on first read. */
export function lazyZeroPad(backend, addon, src, srcShape, before, after) {
  const shape = srcShape.map((d, i) => d + before[i] + after[i]);
  const dataId = backend.write(PLACEHOLDER, shape, 'float32');
  const info = { src, srcShape, before, after, shape };
  pending.set(dataId, info);
  pool.hold(src); // the source's storage must not be reused while the padding may still be made
  let values = null;
  Object.defineProperty(backend.data.get(dataId), 'values', {
    configurable: true,
    enumerable: true,
    get() {
      if (values === null) {
        values = pool.alloc(util.sizeFromShape(shape));
        addon.pad4d(src, srcShape, values, before, after, 0);
        pool.hold(values);
        settle(dataId);
      }
      return values;
    },
    set(v) {
      values = v;
      settle(dataId);
    },
  });
  return { dataId, shape, dtype: 'float32' };
}

/** Whether a PadV2 can be lazy: 4-D float32, zeros, only H and W padded. */
export function canPadLazily(shape, paddings, constantValue) {
  return shape.length === 4 && (constantValue ?? 0) === 0 && paddings[0].every((p) => p === 0) && paddings[3].every((p) => p === 0);
}

/** The unmade padding behind `t` (same shape as padded), or undefined; reading it makes nothing. */
export function pendingPad(t) {
  const info = pending.get(t.dataId);
  return info && util.arraysEqual(info.shape, t.shape) ? info : undefined;
}

export function isPendingPad(dataId) {
  return pending.has(dataId);
}

/** The padding was made, or its tensor entry removed unread: the source may be reused again. */
export function settle(dataId) {
  const info = pending.get(dataId);
  if (!info) return;
  pending.delete(dataId);
  pool.drop(info.src);
}
