import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BackendError, initBackend, recommendedMicroBatch } from '../../../src/training/backends/index.js';
import type { BackendInfo, BackendName } from '../../../src/training/backends/index.js';

const AUTO_ORDER = [
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-node',
  '@dagctl/tfjs-backend-native',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
];

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

const require = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}
const noTfjsNode = !installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu');

describe('initBackend', () => {
  it("'auto' runs the first backend of the chain that starts and logs why each earlier one was skipped", async () => {
    const { logger, lines } = capture();
    const info = await initBackend('auto', logger);
    expect(tf.getBackend()).toBe(info.name);
    const chosen = AUTO_ORDER.indexOf(info.package);
    expect(chosen).toBeGreaterThanOrEqual(0);
    const skipped = lines.filter((l) => l['msg'] === 'backend.skipped');
    expect(skipped.map((l) => l['package'])).toEqual(AUTO_ORDER.slice(0, chosen));
    for (const line of skipped) expect(String(line['reason']).length).toBeGreaterThan(0);
    const selected = lines.find((l) => l['msg'] === 'backend.selected');
    expect(selected).toMatchObject({ backend: info.name, package: info.package, threads: info.threads });
    expect(info.threads).toBeGreaterThanOrEqual(1);
    if (chosen > 0) expect(info.fallbackReason).toContain(`${AUTO_ORDER[0]}: `);
    else expect(info.fallbackReason).toBeUndefined();
  });

  it('reports the wasm backend single-threaded in Node, whatever was asked', async () => {
    const { logger, lines } = capture();
    const info = await initBackend('wasm', logger, { threads: 2 });
    expect(info).toEqual({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', threads: 1 });
    expect(lines.find((l) => l['msg'] === 'backend.selected')).toMatchObject({ threads: 1, threadsRequested: 2 });
  });

  it.runIf(noTfjsNode)('fails with a hint, rather than falling back, when tensorflow is asked for and not installed', async () => {
    const { logger } = capture();
    const before = tf.getBackend();
    const err = await initBackend('tensorflow', logger).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: 'backend_unavailable' });
    expect((err as BackendError).message).toContain('@tensorflow/tfjs-node: not installed');
    expect((err as BackendError).hint).toContain('npm install');
    expect(tf.getBackend()).toBe(before);
  });

  it('starts native-cpu when asked, or fails with a hint (never another backend)', async () => {
    // Helper N's addon may or may not have built on this machine: both outcomes are checked.
    const outcome = await initBackend('native-cpu', capture().logger).catch((e: unknown) => e);
    if (outcome instanceof BackendError) {
      expect(outcome).toMatchObject({ code: 'backend_unavailable', message: expect.stringContaining('native-cpu') });
      expect(outcome.hint).toMatch(/native/);
    } else {
      expect(outcome).toMatchObject({ name: 'native-cpu', package: '@dagctl/tfjs-backend-native' });
      expect(tf.getBackend()).toBe('native-cpu');
    }
  });

  it('rejects a name that is not a backend', async () => {
    const err = await initBackend('tpu' as BackendName, capture().logger).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unknown_backend' });
  });
});

describe('recommendedMicroBatch', () => {
  const info = (name: BackendName): BackendInfo => ({ name, package: 'x', threads: 1 });

  it('keeps wasm at 224x224 well under the 12 images that exhaust its 4 GB heap', () => {
    expect(recommendedMicroBatch(info('wasm'), 224)).toBe(8);
  });

  it('grows as images shrink, up to 64, and never drops below 1', () => {
    expect(recommendedMicroBatch(info('wasm'), 128)).toBe(24);
    expect(recommendedMicroBatch(info('wasm'), 32)).toBe(64);
    expect(recommendedMicroBatch(info('wasm'), 2048)).toBe(1);
    expect(recommendedMicroBatch(info('tensorflow'), 224)).toBe(64);
  });

  it('rejects a non-positive image size', () => {
    expect(() => recommendedMicroBatch(info('cpu'), 0)).toThrow(RangeError);
  });
});
