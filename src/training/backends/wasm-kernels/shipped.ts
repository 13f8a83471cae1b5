import type { KernelConfig } from '@tensorflow/tfjs-core';

/** Kernels the wasm package shipped before we replaced them: for small inputs and benchmarks. */
const shipped = new Map<string, KernelConfig>();

export function rememberShippedKernel(config: KernelConfig): void {
  if (!shipped.has(config.kernelName)) shipped.set(config.kernelName, config);
}

export function shippedWasmKernel(kernelName: string): KernelConfig | undefined {
  return shipped.get(kernelName);
}
