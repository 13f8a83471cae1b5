import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/training/backends/index.js';
import { runOn, values } from './compare.js';

const CASES: { shape: number[]; reps: number[]; dtype: 'float32' | 'int32' | 'bool' }[] = [
  { shape: [1, 1, 1, 5], reps: [2, 3, 4, 1], dtype: 'float32' }, // batch norm's gradient pattern
  { shape: [2, 3], reps: [3, 2], dtype: 'float32' },
  { shape: [3, 1, 2], reps: [1, 4, 3], dtype: 'int32' },
  { shape: [4], reps: [5], dtype: 'bool' },
  { shape: [2, 1, 3, 1, 2], reps: [2, 2, 1, 3, 2], dtype: 'float32' },
  { shape: [2, 2], reps: [1, 1], dtype: 'float32' },
  { shape: [2, 0], reps: [2, 3], dtype: 'float32' },
  { shape: [], reps: [], dtype: 'float32' },
];

describe('wasm Tile', () => {
  beforeAll(async () => {
    await initBackend('wasm', pino({ level: 'silent' }));
  });

  it('is replaced by the block-copy kernel', () => {
    expect(tf.getKernel('Tile', 'wasm')?.kernelFunc.name).toBe('tileWasm');
  });

  it.each(CASES.map((c) => [`${c.dtype} [${c.shape.join(',')}] x [${c.reps.join(',')}]`, c] as const))(
    'matches the cpu backend: %s',
    async (_label, c) => {
      const raw = values(c.shape, 5);
      const data = c.dtype === 'float32' ? raw : Int32Array.from(raw, (v) => (c.dtype === 'bool' ? (v > 0 ? 1 : 0) : Math.round(v * 100)));
      const call = { kernel: 'Tile', inputs: { x: { data, shape: c.shape, dtype: c.dtype } }, attrs: { reps: c.reps } };
      const expected = await runOn('cpu', call);
      const actual = await runOn('wasm', call);
      expect(actual.shape).toEqual(expected.shape);
      expect(actual.dtype).toBe(c.dtype);
      expect(Array.from(actual.data)).toEqual(Array.from(expected.data));
    },
  );
});
