// The 'native-cpu' backend: TF.js's cpu backend (same storage, same kernels) with the hot kernels
// replaced by native ones. Kernels we do not override are the cpu backend's own functions.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { convKernels } from './conv.js';
import { elementwiseKernels } from './elementwise.js';
import { installGradients } from './gradients.js';
import { matmulKernels } from './matmul.js';
import { normKernels } from './norm.js';
import { patchMoments } from './moments.js';
import { patchFusedConv } from './fused-conv.js';
import { releaseConsumedGradients } from './tape.js';
import { adamKernel, patchAdam } from './adam.js';
import { pool } from './pool.js';
import { isSharedZeros } from './tracking.js';
import { isPendingPad, settle as settlePendingPad } from './lazy-pad.js';

export const BACKEND_NAME = 'native-cpu';
const GC_BYTES = Number(process.env.DAGCTL_NATIVE_GC_MB || 1024) * 2 ** 20;
const collectGarbage = gcFunction();

/** V8's gc() without --expose-gc on the command line (the flag can be set at run time). */
function gcFunction() {
  try {
    if (typeof globalThis.gc === 'function') return globalThis.gc;
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc');
    return typeof gc === 'function' ? gc : () => undefined;
  } catch {
    return () => undefined;
  }
}
// Above cpu (1) and wasm (2) so that, once registered, it is TF.js's default when nothing is set.
const PRIORITY = 3;

class NativeCPUBackend extends MathBackendCPU {
  constructor() {
    super();
    // The cpu backend's "install tfjs-node" banner does not apply: this is the native path.
    this.firstUse = false;
    this.garbageBytes = 0;
  }

  write(values, shape, dtype) {
    const dataId = super.write(values, shape, dtype);
    pool.hold(values);
    return dataId;
  }

  move(dataId, values, shape, dtype, refCount) {
    super.move(dataId, values, shape, dtype, refCount);
    pool.hold(values);
  }

  // Callers get copies of pool memory (reused once the tensor is disposed) and of the shared zeros.
  readSync(dataId) {
    const values = super.readSync(dataId);
    return pool.owns(values) || isSharedZeros(values) ? values.slice() : values;
  }

  // Storage the pool does not take back is garbage that V8 frees at its next GC, which it
  // schedules lazily (a step at batch 64 once peaked at 6.4 GB RSS that way). Collecting after
  // every GC_BYTES of such garbage keeps the peak near the live set.
  disposeData(dataId, force = false) {
    const lazy = isPendingPad(dataId); // reading its values would make the padding
    const values = lazy ? null : this.data.get(dataId)?.values;
    const removed = super.disposeData(dataId, force);
    if (removed && lazy) settlePendingPad(dataId);
    if (removed && values && !pool.drop(values) && values.byteLength > 1 << 20) {
      this.garbageBytes += values.byteLength;
      if (this.garbageBytes > GC_BYTES) {
        this.garbageBytes = 0;
        collectGarbage();
      }
    }
    return removed;
  }

  dispose() {
    pool.clear();
    super.dispose();
  }
}

// For profiling what each group buys (docs/native-backend.md): DAGCTL_NATIVE_KERNELS=conv,norm,...
// limits the native kernel groups; DAGCTL_NATIVE_GRADS=0 keeps TF.js's own gradients.
const GROUPS = {
  conv: convKernels,
  elementwise: elementwiseKernels,
  norm: normKernels,
  matmul: matmulKernels,
  adam: (addon) => [adamKernel(addon)],
};

export function registerNativeBackend(addon) {
  if (tf.findBackendFactory(BACKEND_NAME)) return;
  const cpuKernels = new Map(tf.getKernelsForBackend('cpu').map((k) => [k.kernelName, k]));
  const wanted = (process.env.DAGCTL_NATIVE_KERNELS ?? Object.keys(GROUPS).join(',')).split(',');
  const native = Object.entries(GROUPS).filter(([g]) => wanted.includes(g)).flatMap(([, make]) => make(addon, cpuKernels));
  const overridden = new Set(native.map((k) => k.kernelName));
  for (const k of cpuKernels.values()) {
    if (!overridden.has(k.kernelName)) tf.registerKernel({ ...k, backendName: BACKEND_NAME });
  }
  for (const k of native) tf.registerKernel({ ...k, backendName: BACKEND_NAME });
  if (process.env.DAGCTL_NATIVE_GRADS !== '0' && overridden.has('FusedBatchNorm')) {
    installGradients(tf, BACKEND_NAME);
    patchMoments(BACKEND_NAME);
    patchFusedConv(BACKEND_NAME);
    releaseConsumedGradients(tf, BACKEND_NAME);
  }
  if (overridden.has('NativeAdam')) patchAdam(BACKEND_NAME);
  tf.registerBackend(BACKEND_NAME, () => new NativeCPUBackend(), PRIORITY);
}

/** Kernel names this backend runs natively (the rest are the cpu backend's). */
export function nativeKernelNames(addon) {
  const none = new Map();
  return Object.values(GROUPS).flatMap((make) => make(addon, none)).map((k) => k.kernelName);
}
