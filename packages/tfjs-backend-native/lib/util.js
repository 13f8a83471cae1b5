// Small helpers shared by the kernel files: typed-array access to the cpu backend's storage (the
// addon reads and writes these Float32Arrays in place, no copies) and output construction.
import { util } from '@tensorflow/tfjs-core';
import { pool } from './pool.js';

/** The Float32Array behind a float32 tensor, or null (other dtypes, complex, strings). */
export function f32(backend, t) {
  if (t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

export function output(backend, shape, values) {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** An output buffer for a kernel that writes every element (contents unspecified: pool memory). */
export function alloc(shape) {
  return pool.alloc(util.sizeFromShape(shape));
}

/** Same data, new shape: how the cpu backend's own Reshape/Identity share storage. */
export function passthrough(backend, t, shape) {
  backend.incRef(t.dataId);
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

export function fallback(cpuKernels, name, args) {
  const k = cpuKernels.get(name);
  if (!k) throw new Error(`native-cpu: no cpu kernel '${name}' to fall back to`);
  return k.kernelFunc(args);
}

// Tensor contents by identity: tensors are immutable and the pool hands out a new Float32Array
// object for every reuse of a buffer, so one array object always holds the same values. The addon
// uses these ids to keep derived data (a reordered filter, a max-pool workspace) across calls.
const contentIds = new WeakMap();
let lastContentId = 0;
export function contentId(values) {
  let id = contentIds.get(values);
  if (id === undefined) contentIds.set(values, (id = ++lastContentId));
  return id;
}
