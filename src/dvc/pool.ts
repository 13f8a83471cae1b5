import os from 'node:os';

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** DVC's default transfer parallelism is 4 x CPUs; capped so a laptop does not open hundreds of sockets. */
export function defaultJobs(): number {
  return Math.min(32, Math.max(1, os.availableParallelism() * 4));
}

/**
 * Runs `fn` over `items` with at most `limit` in flight and returns every outcome in input order.
 * Once an error matches `stopOn` (an unreachable remote), no new items start; those get that error.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  stopOn: (error: unknown) => boolean = () => false,
): Promise<Settled<R>[]> {
  const results: Settled<R>[] = new Array<Settled<R>>(items.length);
  let next = 0;
  let fatal: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      if (fatal) {
        results[i] = { ok: false, error: fatal.error };
        continue;
      }
      try {
        results[i] = { ok: true, value: await fn(items[i] as T, i) };
      } catch (error) {
        results[i] = { ok: false, error };
        if (!fatal && stopOn(error)) fatal = { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
