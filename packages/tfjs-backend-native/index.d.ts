/** The TF.js backend name registered by `register()`. */
export type NativeBackendName = 'native-cpu';

/**
 * Registers the 'native-cpu' backend (and its kernels and gradient overrides) with the shared
 * `@tensorflow/tfjs-core` instance. Does not switch backends: call `tf.setBackend('native-cpu')`.
 * `threads` defaults to $DAGCTL_NATIVE_THREADS, else os.availableParallelism().
 * @throws NativeBackendUnavailableError (code 'native_addon_missing') when the addon did not build.
 */
export function register(opts?: { threads?: number }): Promise<{ name: NativeBackendName; threads: number }>;

export function isAvailable(): boolean;

/**
 * Which convolutions run on NHWC buffers and which in oneDNN's blocked layout: 'auto' (per shape,
 * the default; also $DAGCTL_NATIVE_CONV_LAYOUT at register()), or one layout for all.
 */
export function setConvLayout(layout: 'auto' | 'nhwc' | 'blocked'): void;
export function unavailableReason(): string | null;

export const INSTALL_HINT: string;

export class NativeBackendUnavailableError extends Error {
  readonly code: 'native_addon_missing';
  readonly hint: string;
  constructor(reason: string);
}

export interface NativeInfo {
  onednn: string;
  cpuRuntime: string;
  isa: number;
  threads: number;
  kernels: string[];
  convImpls: string[];
}
export function nativeInfo(): Promise<NativeInfo | null>;
