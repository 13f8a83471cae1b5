// TEMPORARY: stands in for T1's src/training/backends/index.ts until it lands; delete then.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Logger } from 'pino';

export type BackendName = 'tensorflow' | 'native-cpu' | 'wasm' | 'webgpu' | 'cpu';
export interface BackendInfo {
  name: BackendName;
  package: string;
  threads: number;
  fallbackReason?: string;
}

export async function initBackend(preferred: BackendName | 'auto', logger: Logger): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await tf.ready();
  const info: BackendInfo = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', threads: 1 };
  if (preferred !== 'cpu' && preferred !== 'auto') info.fallbackReason = `${preferred} not available yet (shim)`;
  logger.info({ backend: info }, 'backend.ready');
  return info;
}

export function recommendedMicroBatch(info: BackendInfo, imageSize: number): number {
  if (info.name === 'wasm' || info.name === 'cpu') return imageSize >= 192 ? 8 : 16;
  return 32;
}
