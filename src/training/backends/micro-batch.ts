import type { BackendInfo, BackendName } from './types.js';

/**
 * Largest micro-batch (images per forward/backward pass) that fits at 224x224, per backend.
 * wasm: its heap is capped at 4 GB and ResNet18 training runs out of it above 12 images at 224
 * (measured), so 8 leaves headroom. cpu holds tensors in JS ArrayBuffers (no 4 GB cap) but is
 * slow enough that small batches cost nothing. webgpu: compatibility-mode adapters cap a storage
 * buffer at 128 MB, which conv1's activations reach at about 40 images. The native backends
 * use host or GPU memory freely: the seed's batch of 64 needs no accumulation.
 */
const AT_224: Record<BackendName, number> = {
  tensorflow: 64,
  'native-cpu': 64,
  wasm: 8,
  webgpu: 16,
  cpu: 8,
};
const MAX = 64;

/** Activation memory grows with pixels, so the batch that fits scales with (224 / size)^2. */
export function recommendedMicroBatch(info: BackendInfo, imageSize: number): number {
  if (!Number.isFinite(imageSize) || imageSize <= 0) throw new RangeError(`imageSize must be positive (got ${imageSize})`);
  const scaled = Math.floor(AT_224[info.name] * (224 / imageSize) ** 2);
  return Math.max(1, Math.min(MAX, scaled));
}
