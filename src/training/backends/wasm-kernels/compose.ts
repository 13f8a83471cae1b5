import { getKernel } from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Our wasm kernels are compositions of kernels the wasm backend already ships (XNNPACK Conv2D,
 * BatchMatMul, pad, slices...). We call those kernel functions directly, as the backend's own
 * composite kernels do, so intermediates never touch the engine's tape or tensor tracking; every
 * intermediate must therefore be released with `release` once used.
 */
export function runWasmKernel(
  kernelName: string,
  backend: KernelBackend,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = getKernel(kernelName, 'wasm');
  if (config === undefined) throw new Error(`wasm backend has no '${kernelName}' kernel to compose from`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel '${kernelName}' returned several outputs`);
  return out;
}

export function release(backend: KernelBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function reshape(backend: KernelBackend, x: TensorInfo, shape: number[]): TensorInfo {
  return runWasmKernel('Reshape', backend, { x }, { shape });
}

/** Zero padding; `paddings` is [before, after] per axis. Skips the copy when nothing is padded. */
export function padZeros(backend: KernelBackend, x: TensorInfo, paddings: [number, number][]): TensorInfo {
  if (paddings.every(([a, b]) => a === 0 && b === 0)) return reshape(backend, x, x.shape);
  return runWasmKernel('PadV2', backend, { x }, { paddings, constantValue: 0 });
}

export function as4d(shape: number[]): [number, number, number, number] {
  if (shape.length !== 4) throw new Error(`expected a rank-4 shape, got [${shape.join(', ')}]`);
  return shape as [number, number, number, number];
}
