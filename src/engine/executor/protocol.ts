/** Messages between the process pool and its worker processes (IPC, JSON). */
import type { AttemptJob, AttemptResult } from './types.js';

export type ToWorker = { type: 'run'; job: AttemptJob } | { type: 'abort'; reason: 'timeout' | 'cancel'; timeoutS?: number };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'finished'; result: AttemptResult };
