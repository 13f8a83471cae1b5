import * as tf from '@tensorflow/tfjs-core';
import type { Activator } from './activator.js';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';

/**
 * XNNPACK compiled to WebAssembly, plus our kernels that make it able to train. Its threaded
 * build spawns workers from blob: URLs, which Node's worker_threads refuses, so tfjs never picks
 * it under Node: it runs on one thread whatever we ask, and we report what it says it uses.
 */
export const wasm: Activator = {
  name: 'wasm',
  package: '@tensorflow/tfjs-backend-wasm',
  hint: 'the wasm backend ships with this project; reinstall dependencies (npm ci) if its .wasm files are missing',
  async activate({ threads }) {
    const wasmBackend = await import('@tensorflow/tfjs-backend-wasm');
    wasmBackend.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed (see the warning above)");
    registerWasmTrainingKernels();
    return wasmBackend.getThreadsCount();
  },
};
