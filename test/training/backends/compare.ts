// Test helpers: run one kernel on a named backend from plain arrays, and compare results.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** A kernel function called directly, bypassing the registry (e.g. ours where a dispatcher is registered). */
export type DirectKernel = (args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: NamedAttrMap }) => TensorInfo;

export interface KernelCall {
  kernel: string;
  inputs: Record<string, { data: Float32Array | Int32Array; shape: number[]; dtype?: 'float32' | 'int32' | 'bool' }>;
  attrs: object;
}

/** Tensors are built from arrays on `backend` itself: moving tensors between backends is not exact in tfjs 4.22. */
export async function runOn(
  backend: string,
  call: KernelCall,
  direct?: DirectKernel,
): Promise<{ data: Float32Array; shape: number[]; dtype: string }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(call.inputs)) inputs[name] = tf.tensor(t.data, t.shape, t.dtype ?? 'float32');
    if (direct !== undefined) {
      const kernelBackend = tf.backend();
      const out = direct({ inputs, backend: kernelBackend, attrs: call.attrs as NamedAttrMap });
      const data = Float32Array.from(kernelBackend.readSync(out.dataId) as Float32Array);
      kernelBackend.disposeData(out.dataId);
      return { data, shape: out.shape, dtype: out.dtype };
    }
    const out = tf.engine().runKernel(call.kernel, inputs, call.attrs as NamedAttrMap) as tf.Tensor;
    return { data: Float32Array.from(out.dataSync()), shape: out.shape, dtype: out.dtype };
  });
}

/** Largest |a - b| relative to the largest |a| (so it reads as a float tolerance). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(a[i] as number));
  }
  return diff / scale;
}

/** Deterministic values in [-1, 1): reproducible failures without a seeded RNG. */
export function values(shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 12.9898 + seed * 78.233) % 1);
}
