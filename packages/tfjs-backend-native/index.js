// Public entry of @dagctl/tfjs-backend-native (see index.d.ts and docs/native-backend.md).
import { availableParallelism } from 'node:os';
import { loaded } from './lib/addon.js';
import { BACKEND_NAME, nativeKernelNames, registerNativeBackend } from './lib/backend.js';

export const INSTALL_HINT =
  'install oneDNN and rebuild: apt-get install -y libdnnl-dev && npm rebuild @dagctl/tfjs-backend-native';

export class NativeBackendUnavailableError extends Error {
  constructor(reason) {
    super(`native-cpu backend unavailable: the oneDNN addon is not built (${reason})`);
    this.name = 'NativeBackendUnavailableError';
    this.code = 'native_addon_missing';
    this.hint = INSTALL_HINT;
  }
}

/** Whether the addon loaded (no TF.js side effects). */
export function isAvailable() {
  return loaded.addon !== null;
}

/** Why the addon is unavailable, or null. */
export function unavailableReason() {
  return loaded.error;
}

export async function register(opts = {}) {
  const { addon, error } = loaded;
  if (!addon) throw new NativeBackendUnavailableError(error ?? 'unknown reason');
  const wanted = opts.threads ?? (Number(process.env.DAGCTL_NATIVE_THREADS || 0) || availableParallelism());
  if (!Number.isInteger(wanted) || wanted < 1) throw new RangeError(`threads must be a positive integer (got ${opts.threads})`);
  const threads = addon.setThreads(wanted);
  // 'nhwc' (default) runs oneDNN's NHWC kernels on TF.js's buffers; 'blocked' lets oneDNN reorder
  // into its preferred layouts (see src/conv.cc). Measured about equal on AVX2; kept switchable.
  addon.setConvLayout(process.env.DAGCTL_NATIVE_CONV_LAYOUT === 'blocked' ? 'blocked' : 'nhwc');
  // TF.js registers its gradients when tfjs-layers loads (tfjs-core alone has none); load it first
  // so our gradient wrappers wrap those, whatever order the caller imports things in.
  await import('@tensorflow/tfjs-layers').catch(() => undefined);
  registerNativeBackend(addon);
  return { name: BACKEND_NAME, threads };
}

/** Versions, thread count, native kernels and the oneDNN implementations chosen so far (for logs). */
export function nativeInfo() {
  const { addon } = loaded;
  if (!addon) return null;
  return { ...addon.version(), threads: addon.getThreads(), kernels: nativeKernelNames(addon), convImpls: addon.convImpls() };
}
