// The buffer pool behind native outputs: storage is reused only when nothing can still see it.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { markedZeros } from '../../packages/tfjs-backend-native/lib/norm.js';
import { BufferPool, pool } from '../../packages/tfjs-backend-native/lib/pool.js';
import { native } from './harness.js';

const BIG = 1 << 16; // 256 KB of float32: above the pool's minimum

describe('BufferPool', () => {
  it('reuses a dropped buffer for the next request of the same size', () => {
    const p = new BufferPool(1 << 30);
    const a = p.alloc(BIG);
    p.hold(a);
    a.fill(7);
    expect(p.drop(a)).toBe(true);
    expect(p.freeBytes).toBe(BIG * 4);
    const b = p.alloc(BIG);
    expect(p.freeBytes).toBe(0);
    expect(b.buffer).toBe(a.buffer);
    expect(b[0]).toBe(7); // not zeroed: kernels write every element
    expect(p.owns(b)).toBe(true);
    expect(p.alloc(BIG + 1).length).toBe(BIG + 1); // other sizes are fresh
  });

  it('keeps a buffer while any tensor entry still holds it (aliases such as subarray views)', () => {
    const p = new BufferPool(1 << 30);
    const a = p.alloc(BIG);
    const alias = a.subarray(10, 20);
    p.hold(a);
    p.hold(alias);
    a[10] = 3;
    expect(p.drop(a)).toBe(true);
    expect(alias[0]).toBe(3);
    expect(p.freeBytes).toBe(0);
    p.drop(alias);
    expect(p.freeBytes).toBe(BIG * 4);
  });

  it("never takes a caller's array, small arrays, or more than its cap", () => {
    const p = new BufferPool(BIG * 4);
    const mine = new Float32Array(BIG).fill(1);
    p.hold(mine);
    expect(p.drop(mine)).toBe(false);
    expect(mine[0]).toBe(1);
    const small = p.alloc(10);
    expect(p.owns(small)).toBe(false);
    const [x, y] = [p.alloc(BIG), p.alloc(BIG)];
    p.hold(x);
    p.hold(y);
    expect(p.drop(x)).toBe(true);
    expect(p.drop(y)).toBe(false); // over the cap: left to the GC, still readable
    expect(y.length).toBe(BIG);
    p.clear();
    expect(p.freeBytes).toBe(0);
  });
});

describe.skipIf(!native.ok)('native-cpu storage reuse', () => {
  it('hands callers copies, so values read before a dispose survive later kernels', async () => {
    await tf.setBackend('native-cpu');
    const x = tf.fill([BIG], 2);
    const y = tf.relu(x); // a native output, in pool memory
    const read = y.dataSync();
    const asyncRead = await y.data();
    y.dispose();
    const z = tf.tidy(() => tf.relu(tf.neg(x))); // same size: reuses y's storage
    expect(z.dataSync()[0]).toBe(0);
    expect(read[0]).toBe(2);
    expect(asyncRead[BIG - 1]).toBe(2);
    tf.dispose([x, z]);
  });

  it('keeps storage that a cpu kernel aliased alive after the source is disposed', async () => {
    await tf.setBackend('native-cpu');
    const free0 = pool.freeBytes;
    const src = tf.relu(tf.fill([4, BIG], 5)); // native output
    const row = tf.slice(src, [1, 0], [1, BIG]); // cpu Slice: a subarray view of src's storage
    src.dispose();
    expect(pool.freeBytes).toBe(free0); // still held by row
    const other = tf.relu(tf.fill([4, BIG], -1)); // would take src's storage if it were free
    expect(row.dataSync()[BIG - 1]).toBe(5);
    row.dispose();
    expect(pool.freeBytes).toBeGreaterThan(free0);
    other.dispose();
  });

  it('shares one zero buffer among known-zero gradients, and readers cannot write into it', async () => {
    await tf.setBackend('native-cpu');
    const a = markedZeros(tf, [BIG]);
    const read = a.dataSync();
    read[0] = 5;
    const b = markedZeros(tf, [2, BIG / 2]);
    expect(b.dataSync()[0]).toBe(0);
    expect(tf.add(tf.ones([BIG]), a).dataSync()[0]).toBe(1);
    tf.dispose([a, b]);
  });
});
