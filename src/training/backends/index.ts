import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Logger } from 'pino';
import type { Activator } from './activator.js';
import { cpu } from './cpu.js';
import { BackendError } from './errors.js';
import { nativeCpu } from './native.js';
import { tfjsNodeCpu, tfjsNodeGpu } from './tensorflow.js';
import type { BackendInfo, BackendName } from './types.js';
import { wasm } from './wasm.js';
import { describeWebgpuAdapter, webgpu } from './webgpu.js';

export { BackendError } from './errors.js';
export type { BackendErrorCode } from './errors.js';
export { recommendedMicroBatch } from './micro-batch.js';
export { BACKEND_NAMES, isBackendName } from './types.js';
export type { BackendInfo, BackendName } from './types.js';

/** Fastest first. WebGPU is opt-in only: on machines without a GPU it is a software rasteriser. */
const AUTO_CHAIN: readonly Activator[] = [tfjsNodeGpu, tfjsNodeCpu, nativeCpu, wasm, cpu];

const BY_NAME: Record<BackendName, readonly Activator[]> = {
  tensorflow: [tfjsNodeGpu, tfjsNodeCpu],
  'native-cpu': [nativeCpu],
  wasm: [wasm],
  webgpu: [webgpu],
  cpu: [cpu],
};

export interface InitBackendOptions {
  /** Threads to ask backends for (default: the machine's available parallelism). */
  threads?: number;
}

/**
 * Makes a backend tf's current one. 'auto' walks the chain and logs why each skipped backend was
 * skipped; an explicitly named backend that cannot start is an error, never a silent fallback.
 */
export async function initBackend(
  preferred: BackendName | 'auto',
  logger: Logger,
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const activators = preferred === 'auto' ? AUTO_CHAIN : BY_NAME[preferred];
  if (activators === undefined) {
    throw new BackendError('unknown_backend', `unknown backend '${String(preferred)}'`, `use one of: auto, ${Object.keys(BY_NAME).join(', ')}`);
  }
  const threads = options.threads ?? availableParallelism();
  const skipped: { backend: BackendName; package: string; reason: string; error: Error }[] = [];
  for (const activator of activators) {
    try {
      const actualThreads = await activator.activate({ threads });
      await tf.ready();
      const info: BackendInfo = { name: activator.name, package: activator.package, threads: actualThreads };
      if (skipped.length > 0 && preferred === 'auto') {
        info.fallbackReason = skipped.map((s) => `${s.package}: ${s.reason}`).join('; ');
      }
      const adapter = activator.name === 'webgpu' ? describeWebgpuAdapter() : undefined;
      logger.info({ backend: info.name, package: info.package, threads: info.threads, threadsRequested: threads, requested: preferred, adapter }, 'backend.selected');
      return info;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      skipped.push({ backend: activator.name, package: activator.package, reason: error.message, error });
      logger.info({ backend: activator.name, package: activator.package, reason: error.message }, 'backend.skipped');
    }
  }
  const last = skipped[skipped.length - 1];
  const reasons = skipped.map((s) => `${s.package}: ${s.reason}`).join('; ');
  if (preferred === 'auto') {
    throw new BackendError('backend_unavailable', `no TF.js backend could start (${reasons})`, cpu.hint, { cause: last?.error });
  }
  throw new BackendError(
    'backend_unavailable',
    `backend '${preferred}' is not available: ${reasons}`,
    activators[0]?.hint,
    { cause: last?.error },
  );
}

/**
 * Lets the process exit: Dawn keeps Node alive while `navigator.gpu` holds its instance. Safe to
 * call for any backend.
 */
export function releaseBackend(): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (tf.findBackend('webgpu') !== null) tf.removeBackend('webgpu');
  if (g.navigator?.gpu !== undefined) delete g.navigator.gpu;
}
