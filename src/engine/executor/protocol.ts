/** Messages between the process pool and its worker processes (IPC, JSON). */
import type { AttemptJob, AttemptResult } from './types.js';

/**
 * `run` hands a worker one or more attempts; it runs them one at a time, in order (a few wait in the worker,
 * so it starts its next one without a round trip and one IPC write carries several). `abort` names the
 * attempt it is for, so an abort that crosses that attempt's result never hits the next one.
 */
export type ToWorker = { type: 'run'; jobs: AttemptJob[] } | { type: 'abort'; key: string; reason: 'timeout' | 'cancel'; timeoutS?: number };
/**
 * `begun`: the attempt's code is about to run (sent only for attempts with an executionTimeout, whose clock
 * starts then). `finished` carries one or more attempts' results, in order; `waitedMs` is how long each
 * waited in the worker between arriving and starting (behind the attempts handed over before it).
 */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'begun' }
  | { type: 'finished'; results: Array<{ result: AttemptResult; waitedMs: number }> };
