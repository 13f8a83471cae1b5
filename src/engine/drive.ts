/**
 * Following runs to their end: drive them in this process (a scoped scheduler over an executor), or,
 * when another process owns the database, watch their states change in it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { DAG } from './dag.js';
import type { Executor } from './executor/types.js';
import type { SchedulerLock } from './lock.js';
import { runLoop } from './loop.js';
import { Scheduler, type RunEvent } from './scheduler.js';
import type { TiState } from './states.js';
import type { RunKey } from './store/rows.js';
import type { Store } from './store/store.js';

export interface DriveOptions {
  store: Store;
  dags: ReadonlyMap<string, DAG>;
  executor: Executor;
  logger: Logger;
  clock: Clock;
  home: string;
  runs: RunKey[];
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  lock?: SchedulerLock;
  zombieThresholdS?: number;
  heartbeatS?: number;
}

export function runsFinished(store: Store, runs: readonly RunKey[]): boolean {
  return runs.every((k) => {
    const s = store.getDagRun(k)?.state;
    return s === undefined || s === 'success' || s === 'failed';
  });
}

export async function driveRuns(o: DriveOptions): Promise<void> {
  const scheduler = new Scheduler({
    store: o.store, dags: o.dags, executor: o.executor, logger: o.logger, home: o.home, runs: o.runs,
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.zombieThresholdS !== undefined ? { zombieThresholdS: o.zombieThresholdS } : {}),
    ...(o.heartbeatS !== undefined ? { heartbeatS: o.heartbeatS } : {}),
  });
  scheduler.recover(o.clock.now());
  await runLoop({
    scheduler,
    clock: o.clock,
    logger: o.logger,
    until: () => runsFinished(o.store, o.runs),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.lock ? { heartbeat: () => o.lock!.heartbeat() } : {}),
  });
  await scheduler.callbacksDone();
}

/**
 * Watches a run another process drives, reporting state changes, until it ends ('finished'), the signal
 * aborts ('aborted'), or `ownerGone()` says nobody drives it any more ('orphaned').
 */
export async function watchRun(
  store: Store,
  key: RunKey,
  o: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal; clock: Clock; ownerGone: () => boolean; pollMs?: number },
): Promise<'finished' | 'aborted' | 'orphaned'> {
  const seen = new Map<string, { state: TiState; try: number }>();
  let runState: string | undefined;
  for (;;) {
    const now = o.clock.now();
    const run = store.getDagRun(key);
    if (run && run.state !== runState) {
      runState = run.state;
      o.onEvent?.({ type: 'run', dagId: key.dagId, runId: key.runId, state: run.state, at: now });
    }
    // Only a listener needs the task instances (a 10,000-task run is 10,000 rows on every poll).
    for (const ti of o.onEvent ? store.listTis(key) : []) {
      const id = `${ti.task_id}\u0000${ti.map_index}`;
      const prev = seen.get(id);
      if (prev && prev.state === ti.state && prev.try === ti.try_number) continue;
      seen.set(id, { state: ti.state, try: ti.try_number });
      if (prev || ti.state !== null) o.onEvent?.({ type: 'task', ...key, taskId: ti.task_id, mapIndex: ti.map_index, state: ti.state, tryNumber: ti.try_number, at: now });
    }
    if (!run || run.state === 'success' || run.state === 'failed') return 'finished';
    if (o.signal?.aborted) return 'aborted';
    if (o.ownerGone()) return 'orphaned';
    try {
      await sleep(o.pollMs ?? 100, undefined, o.signal ? { signal: o.signal } : {});
    } catch {
      return 'aborted';
    }
  }
}
