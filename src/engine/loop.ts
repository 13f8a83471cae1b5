/**
 * The daemon around the step function: ticks on a computed timer (next run due, next retry, run timeout,
 * heartbeat) and, when the executor reports an attempt, flushes it through the fast path in the same
 * event-loop turn batch (setImmediate) — no polling sleeps between a task and its downstream.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { coerceError } from './errors.js';
import type { Scheduler, TickResult } from './scheduler.js';

export interface LoopOptions {
  scheduler: Scheduler;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
  /** Stop once this returns true (checked after every step). */
  until?: () => boolean;
  /** Called on every tick (the scheduler lock's heartbeat); throwing stops the loop. */
  heartbeat?: () => void;
  /** Longest sleep between ticks, in seconds (default 5: heartbeats, zombie checks). */
  maxSleepS?: number;
}

/** Seconds between a scheduler's ticks at most, so between its heartbeats (Airflow's scheduler_heartbeat_sec). */
export const SCHEDULER_HEARTBEAT_S = 5;

export function runLoop(o: LoopOptions): Promise<void> {
  const { scheduler, clock, logger } = o;
  const maxSleep = (o.maxSleepS ?? SCHEDULER_HEARTBEAT_S) * 1000;
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let timerAt = Infinity;
    let flushing = false;
    let done = false;
    const stop = (err?: unknown): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      scheduler.onWork = () => {};
      o.signal?.removeEventListener('abort', onAbort);
      if (err) reject(coerceError(err));
      else resolve();
    };
    const onAbort = (): void => stop();
    const arm = (at: number): void => {
      if (done || (timer && timerAt <= at)) return;
      if (timer) clearTimeout(timer);
      timerAt = at;
      timer = setTimeout(tick, Math.max(0, at - clock.now().getTime()));
    };
    const after = (r: TickResult | undefined): void => {
      if (r?.nextWakeAt) arm(r.nextWakeAt.getTime());
      if (o.until?.()) stop();
    };
    const step = (fn: () => TickResult): void => {
      if (done) return;
      let r: TickResult | undefined;
      try {
        r = fn();
      } catch (e) {
        // One bad step (a run changed underneath, a DAG bug) must not kill the daemon; the next tick retries.
        logger.error({ err: coerceError(e) }, 'scheduler step failed');
      }
      after(r);
    };
    const tick = (): void => {
      timer = undefined;
      timerAt = Infinity;
      try {
        o.heartbeat?.();
      } catch (e) {
        stop(e);
        return;
      }
      step(() => scheduler.tick(clock.now()));
      arm(clock.now().getTime() + maxSleep);
    };
    let lastFlush = -Infinity;
    const flush = (): void => {
      flushing = false;
      step(() => scheduler.processEvents(clock.now()));
      lastFlush = performance.now();
    };
    scheduler.onWork = () => {
      if (flushing || done) return;
      flushing = true;
      // Idle: flush in this turn (lowest handoff latency). Busy (a flush just ran): gather results for a
      // millisecond, so one transaction and one queueing pass serve several attempts.
      if (performance.now() - lastFlush > 2) setImmediate(flush);
      else setTimeout(flush, 1);
    };
    if (o.signal?.aborted) return stop();
    o.signal?.addEventListener('abort', onAbort);
    tick();
  });
}
