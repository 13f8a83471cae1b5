/** What the scheduler hands an executor, and what comes back. */
import type { Json } from '../json.js';
import type { RunType } from '../operator.js';
import type { RetryPolicy } from '../retry.js';
import type { TiState } from '../states.js';

/** What running one attempt of a task needs (`tasks test` builds one without any scheduler). */
export interface AttemptSpec {
  dagId: string;
  runId: string;
  taskId: string;
  /** Which instance of a mapped task (0..n-1); -1 for an unmapped task. */
  mapIndex: number;
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
  /** The metadata database (a SQLite file or a PostgreSQL URL): the worker records the attempt in it and reads XComs from it. */
  database: string;
  logFile: string;
  /** Seconds. */
  executionTimeout: number | undefined;
}

/** An attempt a scheduler queued: what its worker needs to own it (record its start, heartbeats and end). */
export interface AttemptJob extends AttemptSpec {
  /** The scheduler that queued this try: the worker's start is refused once another one owns it. */
  queuedBy: string;
  /** When it queued this try (the task instance's queued_when): a job from an earlier queueing of the same try is refused. */
  queuedAt: string;
  /** How a failed try is retried (the worker records up_for_retry and when it is due itself). */
  retryPolicy: RetryPolicy;
  /** Seconds between the attempt's heartbeats (each also checks that its state was not set from outside). */
  heartbeatS: number;
}

export interface AttemptError {
  message: string;
  stack?: string;
  code?: string;
  /** What to do next, from a typed error. */
  hint?: string;
  nonRetryable: boolean;
}

export interface AttemptResult {
  outcome: 'success' | 'failed' | 'skipped';
  xcoms: Array<{ key: string; value: Json }>;
  /** Tasks of the run to set skipped (branch / short-circuit). */
  skip: string[];
  error?: AttemptError;
}

/**
 * What an executor tells the scheduler. The worker records starts and ends in the store itself; `begun` and
 * `ended` only let the scheduler react at once (progress, downstream). `released`: the executor no longer
 * holds the attempt and did not see it end (its worker died, was killed, or did not start it; `pid` is that
 * worker's): the scheduler settles it from the store — failed if it is still running in that worker, handed
 * out again if it never started, nothing if it was recorded already.
 */
export type ExecutorEvent =
  | { type: 'begun'; job: AttemptJob; pid: number; at: Date }
  | { type: 'ended'; job: AttemptJob; /** The state recorded; undefined when the end was refused (its state changed meanwhile). */ state: TiState | undefined; skip: string[]; at: Date }
  | { type: 'released'; job: AttemptJob; pid: number; error: AttemptError; at: Date }
  /** Attempts changed in the store, recorded by workers the executor does not hold (the job queue): tick. */
  | { type: 'changed'; at: Date };

export interface Executor {
  /**
   * `local`: attempts run in this process's workers, and a queued attempt no worker holds after a restart is
   * orphaned. `queue`: attempts wait in the database's job queue for workers anywhere, and outlive schedulers.
   */
  readonly kind: 'local' | 'queue';
  /** How many more attempts it accepts now (running + waiting in its queue). */
  freeSlots(): number;
  /** Takes attempts in queue order (the scheduler calls it inside the transaction that queued them). */
  submit(jobs: readonly AttemptJob[]): void;
  /** Attempts it holds (started or waiting). */
  inFlight(): AttemptJob[];
  /** Registers the single listener; events may arrive in the same turn or later, always in order per attempt. */
  onEvent(listener: (e: ExecutorEvent) => void): void;
  /** Resolves once nothing is in flight (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function jobKey(j: { dagId: string; runId: string; taskId: string; mapIndex?: number }): string {
  return `${j.dagId}\u0000${j.runId}\u0000${j.taskId}\u0000${j.mapIndex ?? -1}`;
}
