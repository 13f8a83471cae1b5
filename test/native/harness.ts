// Shared test harness: loads the native backend (or says why the suite is skipped) and runs the
// same computation on 'native-cpu' and on TF.js's reference 'cpu' backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect } from 'vitest';

export const native = await (async () => {
  try {
    const mod = await import('@dagctl/tfjs-backend-native');
    const info = await mod.register({ threads: 2 });
    return { ok: true as const, info, reason: '' };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    console.warn(`[test/native] SKIPPED: ${reason}`);
    return { ok: false as const, info: null, reason };
  }
})();

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randArray(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

export function randTensor(r: () => number, shape: number[], scale = 1): { shape: number[]; data: Float32Array } {
  return { shape, data: randArray(r, shape.reduce((p, d) => p * d, 1), scale) };
}

type Out = tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;

/** Runs `f` on a backend and returns every output's values; tensors are created inside `f`. */
export async function runOn(backend: string, f: () => Out): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(f);
  const list = outs instanceof tf.Tensor ? [outs] : Array.isArray(outs) ? outs : Object.values(outs);
  const vals = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return vals.map((v) => Float32Array.from(v));
}

/** native vs cpu, each output within `tol` of the reference, relative to the output's magnitude. */
export async function expectSameOnBoth(f: () => Out, tol = 2e-4, label = ''): Promise<void> {
  const got = await runOn('native-cpu', f);
  const want = await runOn('cpu', f);
  expect(got.length, label).toBe(want.length);
  got.forEach((g, i) => expectClose(g, want[i]!, tol, `${label} output ${i}`));
}

export function expectClose(got: Float32Array, want: Float32Array, tol: number, label: string): void {
  expect(got.length, label).toBe(want.length);
  let maxRef = 0;
  for (const v of want) maxRef = Math.max(maxRef, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  const bound = tol * Math.max(1, maxRef);
  if (!(worst <= bound)) {
    expect.fail(`${label}: |native - cpu| = ${worst} at ${at} (native ${got[at]}, cpu ${want[at]}) > ${bound}`);
  }
}
