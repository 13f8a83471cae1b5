import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pino } from 'pino';
import { afterEach, beforeAll } from 'vitest';
import { parseParams, type Params } from '../../src/params/index.js';

export const FIXTURE = path.resolve('test/fixtures/training/chest_xray');
export const silent = pino({ level: 'silent' });
export const CPU = { name: 'cpu' as const, package: '@tensorflow/tfjs-backend-cpu', threads: 1 };

/** Every training test runs on the pure-JS cpu backend with tiny models: deterministic and dependency-free. */
export function useCpuBackend(): void {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });
}

/** Temp dirs made by the returned function are removed after each test. */
export function useTempDirs(): (prefix?: string) => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (prefix = 'training-') => {
    const d = await mkdtemp(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** The seed recipe shrunk to seconds: 32 px, width 4, batch 8 as 2 micro-batches of 4. */
export function tinyParams(over: Record<string, Record<string, unknown>> = {}): Params {
  return parseParams({
    data: { dir: FIXTURE, min_val_per_class: 4, val_fraction: 0.25, ...over.data },
    model: { input_size: 32, width: 4, ...over.model },
    train: { epochs: 2, batch_size: 8, micro_batch: 4, backend: 'cpu', early_stopping_patience: 0, ...over.train },
    evaluate: { batch_size: 8, ...over.evaluate },
  });
}
