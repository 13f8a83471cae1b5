import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { rememberShippedKernel } from './shipped.js';
import { tileConfig } from './tile.js';

export { conv2dBackpropFilterWasm } from './conv2d-backprop-filter.js';
export { conv2dBackpropInputWasm } from './conv2d-backprop-input.js';
export { shippedWasmKernel } from './shipped.js';
export { tileWasm } from './tile.js';

const OURS: readonly KernelConfig[] = [conv2dBackpropFilterConfig, conv2dBackpropInputConfig, tileConfig];

/**
 * Installs the kernels the wasm backend needs to train conv nets. Idempotent. Our kernels only
 * compose kernels that need no per-backend setup, so registering after the backend initialised
 * is fine.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of OURS) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current === config) continue;
    if (current !== undefined) {
      rememberShippedKernel(current);
      unregisterKernel(config.kernelName, 'wasm');
    }
    registerKernel(config);
  }
}
