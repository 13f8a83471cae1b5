/**
 * Task-instance and DAG-run states, Airflow 2's names verbatim (airflow/utils/state.py).
 * `null` is Airflow's "none": a task instance that has not been scheduled yet.
 * Paused is a DAG flag and "ready" is a query; neither is a state.
 */
import { IllegalTransitionError } from './errors.js';

export const TASK_STATES = [
  'scheduled',
  'queued',
  'running',
  'success',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'removed',
  'restarting',
] as const;
export type TaskState = (typeof TASK_STATES)[number];
/** A task instance's state column: a TaskState or none. */
export type TiState = TaskState | null;

export const DAG_RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export type DagRunState = (typeof DAG_RUN_STATES)[number];

export const TERMINAL_TASK_STATES = ['success', 'failed', 'upstream_failed', 'skipped', 'removed'] as const;
export type TerminalTaskState = (typeof TERMINAL_TASK_STATES)[number];
/** States in which an attempt occupies (or is about to occupy) an executor slot. */
export const ACTIVE_TASK_STATES = ['queued', 'running', 'restarting'] as const;
/** States that are not finished: the run is not over while any TI is in one of them (or none). */
export const UNFINISHED_TASK_STATES = ['scheduled', 'queued', 'running', 'restarting', 'up_for_retry', 'up_for_reschedule'] as const;
export const FINISHED_DAG_RUN_STATES = ['success', 'failed'] as const;

type From = TaskState | 'none';
const NONE_TO: readonly TiState[] = ['scheduled', 'upstream_failed', 'skipped', 'removed', 'success', 'failed'];
const FINISHED_TO: readonly TiState[] = [null, 'success', 'failed', 'skipped', 'removed'];

/**
 * Every legal task-instance transition. Clearing (-> none) and marking (-> success/failed/skipped) are
 * user actions, as in Airflow; everything else is the scheduler's and the workers' path:
 * none -> scheduled -> queued -> running -> {success, failed, up_for_retry, skipped}; up_for_retry -> scheduled.
 * A user action on an attempt in flight ends it: a queued one is never started (its worker's start is
 * refused), a running one is terminated by its worker at the next heartbeat. Clearing a running TI sets it
 * `restarting` (Airflow's name); it goes back to none once its attempt has ended, so two never overlap.
 */
export const TASK_TRANSITIONS: Readonly<Record<From, readonly TiState[]>> = {
  none: NONE_TO,
  // scheduled -> none/skipped/upstream_failed: clear, or a run finalised/timed out before it was queued.
  scheduled: ['queued', null, 'skipped', 'upstream_failed', 'success', 'failed', 'removed'],
  // queued -> scheduled: the executor never started it (scheduler crash, orphan reset).
  queued: ['running', 'scheduled', 'failed', 'up_for_retry', null, 'success', 'skipped'],
  running: ['success', 'failed', 'up_for_retry', 'up_for_reschedule', 'skipped', 'restarting'],
  restarting: [null, 'success', 'failed', 'skipped'],
  success: FINISHED_TO,
  failed: FINISHED_TO,
  up_for_retry: ['scheduled', null, 'success', 'failed', 'skipped'],
  up_for_reschedule: ['scheduled', null, 'success', 'failed', 'skipped'],
  upstream_failed: [...FINISHED_TO, 'scheduled'],
  skipped: [...FINISHED_TO, 'scheduled'],
  removed: [null],
};

export const DAG_RUN_TRANSITIONS: Readonly<Record<DagRunState, readonly DagRunState[]>> = {
  queued: ['running', 'success', 'failed'],
  running: ['success', 'failed', 'queued'],
  // A cleared finished run goes back to queued (Airflow's clear with reset_dag_runs).
  success: ['queued', 'failed', 'running'],
  failed: ['queued', 'success', 'running'],
};

export function canTransition(from: TiState, to: TiState): boolean {
  return TASK_TRANSITIONS[from ?? 'none'].includes(to);
}

/** Throws IllegalTransitionError unless the table allows from -> to. */
export function assertTransition(from: TiState, to: TiState, what: string): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(what, from ?? 'none', to ?? 'none');
}

export function assertRunTransition(from: DagRunState, to: DagRunState, what: string): void {
  if (!DAG_RUN_TRANSITIONS[from].includes(to)) throw new IllegalTransitionError(what, from, to);
}

export function isTerminal(state: TiState): state is TerminalTaskState {
  return state !== null && (TERMINAL_TASK_STATES as readonly string[]).includes(state);
}

export function isTaskState(s: unknown): s is TaskState {
  return typeof s === 'string' && (TASK_STATES as readonly string[]).includes(s);
}

export function isDagRunState(s: unknown): s is DagRunState {
  return typeof s === 'string' && (DAG_RUN_STATES as readonly string[]).includes(s);
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${String(x)}`);
}
