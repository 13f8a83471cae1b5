// Public entry of @dagctl/tfjs-backend-native (see index.d.ts and docs/native-backend.md).
import { availableParallelism } from 'node:os';
import { loaded } from './lib/addon.js';

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
  const layout = process.env.DAGCTL_NATIVE_CONV_LAYOUT ?? 'auto';
  setConvLayout(['nhwc', 'blocked'].includes(layout) ? layout : 'auto');
  // TF.js registers its gradients when tfjs-layers loads (tfjs-core alone has none); load it first
  // so our gradient wrappers wrap those, whatever order the caller imports things in.
  await import('@tensorflow/tfjs-layers').catch(() => undefined);
  // Loaded here, not at the top: without the addon, importing this package must not need TF.js.
  const { BACKEND_NAME, registerNativeBackend } = await import('./lib/backend.js');
  registerNativeBackend(addon);
  return { name: BACKEND_NAME, threads };
}

/**
 * Which convolutions run on NHWC buffers and which in oneDNN's blocked layout (src/conv.cc):
 * 'auto' (per shape, the default), 'nhwc' or 'blocked' for all, from the next call on.
 */
export function setConvLayout(layout) {
  const { addon, error } = loaded;
  if (!addon) throw new NativeBackendUnavailableError(error ?? 'unknown reason');
  addon.setConvLayout(layout);
}

/** Versions, thread count, native kernels and the oneDNN implementations chosen so far (for logs). */
export async function nativeInfo() {
  const { addon } = loaded;
  if (!addon) return null;
  const { nativeKernelNames } = await import('./lib/backend.js');
  return { ...addon.version(), threads: addon.getThreads(), kernels: nativeKernelNames(addon), convImpls: addon.convImpls() };
}
