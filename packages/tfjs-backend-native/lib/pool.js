// Reuses the storage of disposed native outputs. A training step allocates every activation and
// gradient afresh (tens of GB per step at batch 64); as new Float32Arrays each is calloc'd memory
// that the kernel zeroes page by page on first touch, and V8 frees it only at its next GC. Measured
// at 224x224 batch 16: ~1.5 s of kernel (sys) time per step and GC pressure. The next step asks for
// the same sizes in the same order, so an exact-size free list serves nearly every request.
//
// Safety: a buffer is recycled only when it was born here (never a caller's array) and no tensor
// entry holds it any more (cpu kernels such as Slice may alias it with a subarray view); reads hand
// callers copies (see backend.js), so nothing outside the backend keeps a view of pool memory.
// Buffers are not detached on reuse: V8 counts every transferred ArrayBuffer as new external memory,
// and detaching each reused buffer triggered a full GC about every 100 ms of training.

import { totalmem } from 'node:os';

/** Below this, pooling saves nothing worth the bookkeeping. */
const MIN_BYTES = 64 << 10;

export class BufferPool {
  /** @param {number} capBytes most bytes kept free for reuse; beyond that buffers go to the GC. */
  constructor(capBytes) {
    this.capBytes = capBytes;
    this.freeBytes = 0;
    /** @type {Map<number, ArrayBuffer[]>} free buffers by byteLength */
    this.free = new Map();
    /** @type {WeakSet<ArrayBuffer>} buffers this pool created */
    this.born = new WeakSet();
    /** @type {Map<ArrayBuffer, number>} tensor entries holding each born buffer */
    this.holders = new Map();
  }

  /** A float32 array of n elements. Contents are unspecified: kernels must write every element. */
  alloc(n) {
    const bytes = n * 4;
    if (bytes < MIN_BYTES) return new Float32Array(n);
    const reused = this.free.get(bytes)?.pop();
    if (reused) {
      this.freeBytes -= bytes;
      return new Float32Array(reused);
    }
    const buffer = new ArrayBuffer(bytes);
    this.born.add(buffer);
    return new Float32Array(buffer);
  }

  /** Whether `values` lives in pool memory (callers outside the backend must get a copy). */
  owns(values) {
    return values?.buffer instanceof ArrayBuffer && this.born.has(values.buffer);
  }

  /** A tensor entry now holds `values`. */
  hold(values) {
    if (!this.owns(values)) return;
    this.holders.set(values.buffer, (this.holders.get(values.buffer) ?? 0) + 1);
  }

  /**
   * A tensor entry holding `values` was removed; the last one returns the buffer for reuse.
   * False when the storage became garbage for the GC instead (not ours, or the pool is full).
   */
  drop(values) {
    if (!this.owns(values)) return false;
    const buffer = values.buffer;
    const left = (this.holders.get(buffer) ?? 1) - 1;
    if (left > 0) {
      this.holders.set(buffer, left);
      return true;
    }
    this.holders.delete(buffer);
    const bytes = buffer.byteLength;
    if (this.freeBytes + bytes > this.capBytes) return false;
    const list = this.free.get(bytes);
    if (list) list.push(buffer);
    else this.free.set(bytes, [buffer]);
    this.freeBytes += bytes;
    return true;
  }

  /** Lets the GC have every free buffer (backend disposal, or between phases of different shapes). */
  clear() {
    this.free.clear();
    this.freeBytes = 0;
  }
}

// One native-cpu backend per process, so one pool. DAGCTL_NATIVE_POOL_MB caps its free memory
// (default: a quarter of the machine's, at most 4 GB; 0 turns pooling off).
const capMb = Number(process.env.DAGCTL_NATIVE_POOL_MB ?? Math.min(4096, totalmem() / 4 / 2 ** 20));
export const pool = new BufferPool(Number.isFinite(capMb) && capMb > 0 ? capMb * 2 ** 20 : 0);
