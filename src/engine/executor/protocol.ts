/** Messages between the process pool and its worker processes (IPC, JSON). */
import type { TiState } from '../states.js';
import type { AttemptJob } from './types.js';

/**
 * `run` hands a worker one or more attempts; it runs them one at a time, in order (a few wait in the worker,
 * so it starts its next one without a round trip and one IPC write carries several). `abort` names the
 * attempt it is for, so an abort that crosses that attempt's result never hits the next one.
 */
export type ToWorker = { type: 'run'; jobs: AttemptJob[] } | { type: 'abort'; key: string; timeoutS: number } | { type: 'return'; keys: string[] };

/**
 * How an attempt handed to a worker goes, in hand-over order. `begun`: its start is recorded and its code runs
 * (`at`: epoch ms). `ended`: it ran, and the worker recorded its end itself (`state`: what was recorded; absent
 * when the store refused it). `refused`: it never started, because the task instance was no longer this try
 * of this scheduler's (cleared, marked, reset). `terminated`: its state was set from outside (`state`) while
 * it ran; the worker kills its own process group right after this report, and the pool reports the attempt
 * `lost` once the worker is gone. `returned` answers `return` (give back attempts waiting behind a long one):
 * those of `keys` it had not started, now the pool's again (none, if it had started them all).
 */
export type AttemptReport =
  | { key: string; kind: 'begun'; at: number }
  | { key: string; kind: 'ended'; state?: TiState; skip: string[] }
  | { key: string; kind: 'refused' }
  | { key: string; kind: 'terminated'; state: string }
  | { kind: 'returned'; keys: string[] };

/**
 * Reports travel in batches: those made in one event-loop turn share one IPC write (a no-op attempt's `begun`
 * and `ended` arrive together). An attempt with an executionTimeout sends its `begun` at once: its clock
 * starts then.
 */
export type FromWorker = { type: 'ready' } | { type: 'reports'; reports: AttemptReport[] };
