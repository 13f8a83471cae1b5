// Types for lib/pool.js (imported by the tests; the package's public API is index.d.ts).
export class BufferPool {
  constructor(capBytes: number);
  readonly capBytes: number;
  readonly freeBytes: number;
  alloc(n: number): Float32Array;
  owns(values: unknown): boolean;
  hold(values: unknown): void;
  drop(values: unknown): boolean;
  clear(): void;
}
export const pool: BufferPool;
