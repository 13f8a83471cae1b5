/** What the scheduler hands an executor, and what comes back. */
import type { Json } from '../json.js';
import type { RunType } from '../operator.js';

export interface AttemptJob {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber: number;
  maxTries: number;
  /** The DAG file a worker process imports. */
  fileloc: string;
  logicalDate: string;
  dataIntervalStart: string;
  dataIntervalEnd: string;
  conf: Json;
  runType: RunType;
  home: string;
  /** The database file, for xcomPull in the worker. */
  dbFile: string;
  logFile: string;
  /** Seconds. */
  executionTimeout: number | undefined;
}

export interface AttemptError {
  message: string;
  stack?: string;
  code?: string;
  nonRetryable: boolean;
}

export interface AttemptResult {
  outcome: 'success' | 'failed' | 'skipped';
  xcoms: Array<{ key: string; value: Json }>;
  /** Tasks of the run to set skipped (branch / short-circuit). */
  skip: string[];
  error?: AttemptError;
}

/** `at`: when it happened, by the executor's clock (the scheduler records it as start_date / end_date). */
export type ExecutorEvent =
  | { type: 'started'; job: AttemptJob; pid: number; hostname: string; at: Date; /** Its start was recorded before (a worker died holding it, unstarted): only the worker changes. */ reassigned?: boolean }
  | { type: 'finished'; job: AttemptJob; result: AttemptResult; at: Date; /** When its code started running, if the executor knows (it may have waited in a worker). */ startedAt?: Date };

export interface Executor {
  /** How many more attempts it accepts now (running + waiting in its queue). */
  freeSlots(): number;
  submit(job: AttemptJob): void;
  /** Attempts it holds (started or waiting). */
  inFlight(): AttemptJob[];
  /** Registers the single listener; events may arrive in the same turn or later, always in order per attempt. */
  onEvent(listener: (e: ExecutorEvent) => void): void;
  /** Resolves once nothing is in flight (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function jobKey(j: { dagId: string; runId: string; taskId: string }): string {
  return `${j.dagId}\u0000${j.runId}\u0000${j.taskId}`;
}
