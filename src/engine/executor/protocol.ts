/** Messages between the process pool and its worker processes (IPC, JSON). */
import type { TiState } from '../states.js';
import type { AttemptJob } from './types.js';

/**
 * `run` hands a worker one or more attempts; it runs them one at a time, in order (a few wait in the worker,
 * so it starts its next one without a round trip and one IPC write carries several). `abort` names the
 * attempt it is for, so an abort that crosses that attempt's result never hits the next one.
 */
export type ToWorker = { type: 'run'; jobs: AttemptJob[] } | { type: 'abort'; key: string; timeoutS: number };

/**
 * How an attempt handed to a worker went, in hand-over order. `ended`: it ran, and the worker recorded its
 * end itself (`state`: what was recorded; absent when the store refused it). `refused`: it never started,
 * because the task instance was no longer this try of this scheduler's (cleared, marked, reset).
 * `terminated`: its state was set from outside (`state`) while it ran; the worker kills its own process
 * group right after this report, and the pool reports the attempt `lost` once the worker is gone.
 */
export type AttemptReport =
  | { key: string; kind: 'ended'; state?: TiState; skip: string[] }
  | { key: string; kind: 'refused' }
  | { key: string; kind: 'terminated'; state: string };

/**
 * `begun`: the attempt's start is recorded and its code runs (sent at once for attempts with an
 * executionTimeout, whose clock starts then; for others only if still running after a turn, for progress).
 * `finished` carries one or more attempts' reports, in order.
 */
export type FromWorker = { type: 'ready' } | { type: 'begun'; key: string } | { type: 'finished'; reports: AttemptReport[] };
