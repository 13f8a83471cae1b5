import * as tf from '@tensorflow/tfjs-core';
import type { Activator } from './activator.js';
import { firstLine, importOptional } from './optional-import.js';

/** The part of Dawn's `webgpu` package we use; its own types describe the browser API. */
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: Record<string, unknown>): Promise<unknown>;
}

/**
 * Adapters to try, best first: a real GPU through Dawn's default backend (Vulkan), then the
 * OpenGL ES backend in WebGPU's "compatibility" feature level, which is what Mesa's llvmpipe
 * software rasteriser (and older GPUs) can offer.
 */
const ATTEMPTS: { flags: string[]; options: Record<string, unknown>; label: string }[] = [
  { flags: [], options: { powerPreference: 'high-performance' }, label: 'default backend' },
  { flags: ['backend=opengles'], options: { featureLevel: 'compatibility' }, label: 'opengles, compatibility' },
];

async function findAdapter(dawn: DawnModule): Promise<{ gpu: GpuLike; adapter: AdapterLike; label: string }> {
  const tried: string[] = [];
  for (const attempt of ATTEMPTS) {
    try {
      const gpu = dawn.create(attempt.flags);
      const adapter = await gpu.requestAdapter(attempt.options);
      if (adapter) return { gpu, adapter, label: attempt.label };
      tried.push(`${attempt.label}: no adapter`);
    } catch (err) {
      tried.push(`${attempt.label}: ${firstLine(err instanceof Error ? err.message : String(err))}`);
    }
  }
  throw new Error(`no WebGPU adapter (${tried.join('; ')})`);
}

/** Same device request as tfjs-backend-webgpu's own factory, on the adapter we found. */
async function requestDevice(adapter: AdapterLike): Promise<unknown> {
  const limits = adapter.limits;
  const keep = [
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup',
  ];
  return adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: Object.fromEntries(keep.map((k) => [k, limits[k]])),
  });
}

/**
 * WebGPU through Dawn for Node (the `webgpu` package; its binary ships inside it). tfjs-backend-
 * webgpu registers itself only if `navigator.gpu` exists when it is imported and always asks for
 * a default adapter, so we install Dawn's globals first, then register a factory of our own that
 * can use the compatibility-mode adapters a software GL stack offers.
 */
export const webgpu: Activator = {
  name: 'webgpu',
  package: '@tensorflow/tfjs-backend-webgpu',
  hint:
    'WebGPU needs a GPU with Vulkan drivers, or Mesa EGL/GLES (llvmpipe) for the slow software path; ' +
    'see docs/backends.md#webgpu',
  async activate() {
    // Dawn's GL backend opens EGL without a display server only on the surfaceless platform; it
    // reads this from the environment when the adapter is created.
    if (process.platform === 'linux') process.env['EGL_PLATFORM'] ??= 'surfaceless';
    const dawn = (await importOptional('webgpu')) as unknown as DawnModule;
    Object.assign(globalThis, dawn.globals);
    const { gpu, adapter, label } = await findAdapter(dawn);
    const g = globalThis as { navigator?: { gpu?: unknown } };
    if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });

    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', async () => {
      const device = await requestDevice(adapter);
      // WebGPUBackend's types name the DOM's GPUDevice/GPUAdapterInfo, which tsconfig does not include.
      const Backend = WebGPUBackend as unknown as new (device: unknown, info?: unknown) => tf.KernelBackend;
      return withClearReadSyncError(new Backend(device, adapter.info));
    });
    if (!(await tf.setBackend('webgpu'))) throw new Error(`WebGPU adapter found (${label}) but the backend did not initialise`);
    const info = adapter.info ?? {};
    adapterDescription = [info.vendor, info.architecture, info.device, info.description, `(${label})`].filter(Boolean).join(' ');
    return 1;
  },
};

let adapterDescription: string | undefined;

/** Describes the adapter in use, for logs. */
export function describeWebgpuAdapter(): string | undefined {
  return adapterDescription;
}

/**
 * tfjs-backend-webgpu reads GPU buffers synchronously through an OffscreenCanvas, which Node does
 * not have; say so instead of "OffscreenCanvas is not defined". Async reads (`await t.data()`) work.
 */
function withClearReadSyncError(backend: tf.KernelBackend): tf.KernelBackend {
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    try {
      return readSync(dataId);
    } catch (err) {
      if (err instanceof ReferenceError && err.message.includes('OffscreenCanvas')) {
        throw new Error(
          'the webgpu backend cannot read tensors synchronously in Node (dataSync/arraySync); use `await tensor.data()`',
          { cause: err },
        );
      }
      throw err;
    }
  };
  return backend;
}
