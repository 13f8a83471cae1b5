/** The compute backends training can run on; 'auto' picks the fastest that initialises. */
export const BACKEND_NAMES = ['tensorflow', 'native-cpu', 'wasm', 'webgpu', 'cpu'] as const;
/** 'tensorflow' is @tensorflow/tfjs-node(-gpu); 'native-cpu' is our oneDNN addon. */
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  name: BackendName;
  /** The npm package that provides it. */
  package: string;
  /** CPU threads its kernels use, as the backend reports them (wasm in Node: 1). */
  threads: number;
  /** Why the backends tried before this one were skipped ('auto' only). */
  fallbackReason?: string;
}

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}
