/**
 * The Store: every read and every state change the engine makes, as named operations.
 * Each transition runs in one transaction guarded by the expected current state; when the guard does not
 * match, the operation throws IllegalTransitionError naming both states. The operations are written once
 * (./sql-*.ts) over Sql, which SQLite (./sqlite.ts) and PostgreSQL (./postgres.ts) implement; open one with
 * openStore (./open.ts).
 */
import type { IllegalTransitionError } from '../errors.js';
import type { Json } from '../json.js';
import type { RunType } from '../operator.js';
import type { DagRunState, TaskState, TiState } from '../states.js';
import type { DagRow, DagRunRow, ImportErrorRow, LockHolder, PoolRow, QueueWorkerRow, SchedulerJobRow, RunKey, TaskInstanceRow, TiKey, XComRow } from './rows.js';

export interface DagSync {
  dag_id: string;
  fileloc: string;
  owners: string[];
  schedule_interval: string | null;
  tags: string[];
  description: string | null;
  max_active_runs: number;
  max_active_tasks: number;
  is_paused_upon_creation: boolean;
}

export interface NextDagRun {
  next_dagrun: string | null;
  next_dagrun_data_interval_start: string | null;
  next_dagrun_data_interval_end: string | null;
  next_dagrun_create_after: string | null;
}

export interface NewDagRun {
  dag_id: string;
  run_id: string;
  run_type: RunType;
  logical_date: string;
  data_interval_start: string | null;
  data_interval_end: string | null;
  external_trigger: boolean;
  conf: Json;
  /** queued, or running for runs started at once (backfill, dags test). */
  state: 'queued' | 'running';
}

export interface NewTi {
  task_id: string;
  operator: string;
  pool: string;
  pool_slots: number;
  priority_weight: number;
  max_tries: number;
}

export interface DagRunQuery {
  dagId?: string;
  state?: DagRunState;
  runType?: RunType;
  limit?: number;
  /** Newest first (default) or oldest first. */
  order?: 'desc' | 'asc';
}

/**
 * A settled decision from none for every instance of a task in that state: trigger rules
 * (scheduled/skipped/upstream_failed) or a task gone from the DAG (removed).
 */
export interface TiDecision {
  taskId: string;
  from: TiState;
  to: 'scheduled' | 'skipped' | 'upstream_failed' | 'removed';
  /**
   * A mapped task that may run now has this many instances (map indexes 0..n-1): its placeholder (-1)
   * becomes index 0 and the others are created; when it was expanded before (a cleared one), missing
   * indexes are created and waiting ones beyond n are removed. Zero: the placeholder is skipped.
   */
  expand?: { count: number; /** max_tries of a new instance (the task's retries). */ maxTries: number };
}

/** A task instance a decision changed. */
export interface TiDecided {
  taskId: string;
  mapIndex: number;
  to: TiDecision['to'];
}

/** One try of a task instance: what a worker's reports are fenced by. */
export interface AttemptRef {
  key: TiKey;
  tryNumber: number;
}

export interface AttemptEnd extends AttemptRef {
  state: 'success' | 'failed' | 'up_for_retry' | 'skipped';
  nextRetryAt: string | null;
  xcoms: Array<{ key: string; value: Json }>;
  /** Tasks of the same run to set skipped (branch / short-circuit), from none or scheduled. */
  skip: string[];
  /** When the attempt ended (default: the operation's `now`). */
  endedAt?: string;
}

/** An attempt's recorded end, as schedulers hear of it. */
export interface EndedAttempt extends AttemptRef {
  state: TiState;
  skip: string[];
}

/** What recording an end did: the state the task instance is in now, or why it was refused. */
export type EndOutcome = { state: TiState } | { refused: IllegalTransitionError };

/** A scheduled TI that may be queued. */
export interface QueueCandidate {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  max_tries: number;
  pool: string;
  pool_slots: number;
  priority_weight: number;
  logical_date: string;
}

export interface ClearSpec {
  key: TiKey;
  /** max_tries becomes try_number + retries. */
  retries: number;
  /** The task's current pool and weight (Airflow refreshes them from the task on clear); kept when absent. */
  pool?: { pool: string; poolSlots: number; priorityWeight: number };
}

/** A web server user (Airflow's ab_user); `password_hash` is `scrypt$…` (see src/engine/users.ts). */
export interface UserRow {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  role: 'Viewer' | 'Op' | 'Admin';
  password_hash: string;
  created_at: string;
}

/** The key of inFlightCounts().tisPerTask: one task across the DAG's runs and map indexes. */
export function perTaskKey(dagId: string, taskId: string): string {
  return `${dagId}\u0000${taskId}`;
}

export interface Store {
  /** Where the database is: a SQLite file, or a PostgreSQL URL (what a worker opens to record its attempts). */
  readonly location: string;
  readonly dialect: 'sqlite' | 'postgres';
  close(): void;
  /** Runs several operations in one transaction (each stays guarded); nested calls join the outer one. */
  transaction<T>(fn: () => T): T;
  /** Like transaction, but inside one it is a savepoint: a throwing fn undoes only its own changes. */
  savepoint<T>(fn: () => T): T;

  // DAGs
  syncDags(dags: DagSync[], now: string): void;
  listDags(o?: { includeInactive?: boolean }): DagRow[];
  getDag(dagId: string): DagRow | undefined;
  setPaused(dagId: string, paused: boolean): DagRow | undefined;
  setNextDagRun(dagId: string, next: NextDagRun): void;
  replaceImportErrors(errors: Array<{ filename: string; stack_trace: string }>, now: string): void;
  listImportErrors(): ImportErrorRow[];

  // DAG runs
  /** Inserts the run and its task instances (state none) in one transaction; DagRunAlreadyExistsError on a clash. */
  createDagRun(run: NewDagRun, tis: NewTi[], now: string): DagRunRow;
  getDagRun(key: RunKey): DagRunRow | undefined;
  getDagRunByLogicalDate(dagId: string, logicalDate: string): DagRunRow | undefined;
  listDagRuns(q?: DagRunQuery): DagRunRow[];
  /** Data interval start of the latest run of type scheduled (for the next one). */
  latestScheduledRun(dagId: string): DagRunRow | undefined;
  countRuns(dagId: string, state: DagRunState): number;
  /** queued -> running. */
  startDagRun(key: RunKey, now: string): DagRunRow;
  /** running -> success | failed; also sets unfinished TIs (optional) to skipped, as dagrun_timeout does. */
  finishDagRun(key: RunKey, state: 'success' | 'failed', now: string, o?: { skipUnfinished?: boolean }): DagRunRow;
  touchDagRun(key: RunKey, now: string): void;

  // task instances
  getTi(key: TiKey): TaskInstanceRow | undefined;
  listTis(key: RunKey): TaskInstanceRow[];
  /** task_id -> the states of its instances (one unless mapped) for the given tasks of a run (all when undefined). */
  tiStates(key: RunKey, taskIds?: readonly string[]): Map<string, TiState[]>;
  /** Is any TI of the run unfinished (none, scheduled, queued, running, up_for_retry, up_for_reschedule)? */
  hasUnfinishedTis(key: RunKey): boolean;
  /** Applies trigger-rule decisions (expanding mapped tasks); returns every task instance changed. */
  applyDecisions(key: RunKey, decisions: TiDecision[], now: string): TiDecided[];
  /** scheduled TIs of running runs in these pools, by priority then logical date; none of the `exclude`d tasks (at their max_active_tis_per_dag). */
  queueCandidates(limit: number, scope: { runs?: readonly RunKey[]; excludeBackfill: boolean }, pools: readonly string[], exclude?: ReadonlyArray<{ dagId: string; taskId: string }>): QueueCandidate[];
  /**
   * Task instances in flight (queued, running, restarting): how many per DAG, how many pool slots per pool, and
   * for the `perTask` tasks (those with a max_active_tis_per_dag) how many across the DAG's runs, keyed by perTaskKey.
   */
  inFlightCounts(perTask?: ReadonlyArray<{ dagId: string; taskId: string }>): { tasksPerDag: Map<string, number>; tisPerTask: Map<string, number>; slotsPerPool: Map<string, number> };
  /** scheduled -> queued, try_number + 1, queued by this scheduler; returns the new try numbers in order. */
  queueTis(keys: readonly TiKey[], now: string, queuedBy: string): number[];
  /**
   * queued -> running, recorded by the worker that runs the attempt: only for this try and only while the
   * scheduler that queued it (`queuedBy`) still owns it. Throws IllegalTransitionError otherwise (the attempt
   * must not run: it was cleared, marked, timed out, or reset and queued again by another scheduler).
   */
  startAttempt(a: AttemptRef & { queuedBy: string; /** Its queued_when, when known: fences out a job from an earlier queueing of this try. */ queuedAt?: string }, o: { pid: number; hostname: string }, now: string): void;
  /** The worker's heartbeat for its attempt; `owned: false` (with the state found) means it must stop now. */
  heartbeatAttempt(a: AttemptRef, now: string): { owned: true } | { owned: false; state: string };
  /**
   * running -> success | failed | up_for_retry | skipped, with XComs and skips, fenced by try number; a
   * restarting (cleared) attempt goes to none instead. One outcome per end, in order; never throws for a
   * refused end (a late or duplicate report). On PostgreSQL each recorded end notifies listening schedulers at
   * commit (`NOTIFY dagctl_attempts`, see parseEnded), unless `announce` is false: the caller then tells them
   * with announceEnds (one notification for many ends).
   */
  endAttempts(ends: readonly AttemptEnd[], now: string, o?: { announce?: boolean }): EndOutcome[];
  /** up_for_retry whose next_retry_at <= now -> scheduled; returns them. */
  scheduleDueRetries(now: string, scope: { runs?: readonly RunKey[]; excludeBackfill: boolean }): TiKey[];
  /** Earliest next_retry_at of up_for_retry TIs in scope. */
  nextRetryDue(scope: { runs?: readonly RunKey[]; excludeBackfill: boolean }): string | undefined;
  /** queued -> scheduled (try_number - 1) for attempts no executor holds any more; returns them. */
  resetQueued(scope: { runs?: readonly RunKey[]; excludeBackfill: boolean }): TiKey[];
  /** Running and restarting TIs: attempts whose process may be alive (zombie detection). */
  liveAttempts(scope: { runs?: readonly RunKey[]; excludeBackfill: boolean }): TaskInstanceRow[];
  /** Clears TIs to none (a running one to restarting; max_tries bumped, XComs deleted) and sets their runs back to queued. */
  clearTis(specs: readonly ClearSpec[], now: string): TaskInstanceRow[];
  /** Sets a TI's state by hand (mark success/failed/skipped). */
  markTi(key: TiKey, state: Extract<TaskState, 'success' | 'failed' | 'skipped'>, now: string): TaskInstanceRow;

  // pools
  listPools(): PoolRow[];
  getPool(name: string): PoolRow | undefined;
  /** Creates or updates a pool (the description is kept when not given). */
  setPool(name: string, slots: number, description?: string): PoolRow;
  /** False when there was no such pool. */
  deletePool(name: string): boolean;
  /** Creates the pools that do not exist yet; returns the names it created. */
  createMissingPools(names: readonly string[], slots: number, description: string): string[];

  // XCom
  getXcom(key: TiKey, xcomKey: string): Json | undefined;
  /** A mapped task's XComs under this key, in map-index order (the instances that pushed one). */
  mappedXcoms(key: TiKey, xcomKey: string): Json[];
  putXcom(key: TiKey, xcomKey: string, value: Json, now: string): void;

  // the scheduler lock
  acquireLock(
    me: Omit<LockHolder, 'started_at' | 'heartbeat_at'>,
    now: string,
    isHolderAlive: (h: LockHolder) => boolean,
  ): { ok: true; previous: LockHolder | undefined } | { ok: false; holder: LockHolder };
  heartbeatLock(token: string, now: string): boolean;
  releaseLock(token: string): void;
  lockHolder(): LockHolder | undefined;

  // several schedulers and remote workers (PostgreSQL; ./sql-scale-out.ts)
  /** Running runs to examine now, oldest first; on PostgreSQL locked until the transaction ends, skipping those another scheduler holds. */
  claimRunningRuns(excludeBackfill: boolean): RunKey[];
  /** Locks a DAG's row for run creation until the transaction ends; false when another scheduler holds it. */
  claimDag(dagId: string): boolean;
  /** The right to queue task instances until the transaction ends; false while another scheduler queues. */
  claimQueueing(): boolean;
  /** Adds jobs to the job queue (each payload lists the attempts it runs), in the caller's transaction (PostgreSQL only). */
  enqueueAttempts(jobs: ReadonlyArray<{ queue: string; payload: Json; priority: number }>): void;
  /** Tells listening schedulers to look at the store now: something they did not record changed (nothing on SQLite). */
  wakeSchedulers(): void;
  /** Tells listening schedulers of ends recorded with `announce: false`, in as few notifications as fit (nothing on SQLite). */
  announceEnds(ends: readonly EndedAttempt[]): void;
  /** Waits for and locks a run's row until the transaction ends (PostgreSQL), so two schedulers never decide for it at once. */
  lockRun(key: RunKey): void;
  /** Records a `dagctl worker` (or refreshes it: the same id registers again after it was reclaimed). */
  registerQueueWorker(w: Omit<QueueWorkerRow, 'heartbeat_at'>, now: string): void;
  /** False when the row is gone: a scheduler took it for dead and reclaimed its jobs. */
  heartbeatQueueWorker(id: string, now: string): boolean;
  removeQueueWorker(id: string): void;
  listQueueWorkers(): QueueWorkerRow[];
  /**
   * Workers whose heartbeat is older than `staleBefore` are dead: the jobs they had locked go back to the queue
   * for another worker (their attempts' starts are fenced by state and try, so only those that never started
   * run), and the worker's row goes. Returns each dead worker with how many jobs went back.
   */
  reclaimDeadQueueWorkers(staleBefore: string): Array<{ worker: QueueWorkerRow; requeued: number }>;

  // `dagctl scheduler` processes (migration 0008)
  registerScheduler(s: Omit<SchedulerJobRow, 'heartbeat_at'>, now: string): void;
  /** False when the row is gone: another scheduler took this one for dead. */
  heartbeatScheduler(id: string, now: string): boolean;
  removeScheduler(id: string): void;
  listSchedulers(): SchedulerJobRow[];
  /** Deletes the rows of schedulers whose heartbeat is older than `staleBefore` (skipping rows another scheduler holds); returns them. */
  reclaimDeadSchedulers(staleBefore: string): SchedulerJobRow[];
  /**
   * Whether an attempt queued by a scheduler that has no row any more is still queued or running (Airflow's
   * adopt_or_reset_orphaned_tasks looks for the same): its end is nobody's to hear of at once.
   */
  hasOrphanedAttempts(): boolean;

  // web server users (migration 0005)
  /** False when the username is taken. */
  createUser(u: Omit<UserRow, 'created_at'>, now: string): boolean;
  getUser(username: string): UserRow | undefined;
  listUsers(): UserRow[];
  /** False when there was no such user. */
  deleteUser(username: string): boolean;
  countUsers(): number;

  // what the REST API changes on runs (Airflow's set_dag_run_state_to_*, delete, note)
  /** success/failed also settle the unfinished task instances (returned); queued re-queues the run only. */
  setDagRunState(key: RunKey, state: 'success' | 'failed' | 'queued', now: string): TaskInstanceRow[];
  /** Deletes the run, its task instances and XComs; false when there was no such run. */
  deleteDagRun(key: RunKey): boolean;
  setDagRunNote(key: RunKey, note: string | null): boolean;
  /** Notes of the runs that have one (of one DAG, or all), keyed `dag_id \0 run_id`. */
  dagRunNotes(dagId?: string): Map<string, string>;
  listXcoms(key: TiKey): XComRow[];
  /** One page of runs, sorted and filtered in SQL (the REST API's listing), with the total before paging. */
  pageDagRuns(q: DagRunPage): { rows: Array<DagRunRow & { note: string | null }>; total: number };
}

/** Columns a run page may be ordered by (Airflow's order_by names map onto them in the API). */
export const DAG_RUN_ORDER_COLUMNS = [
  'id', 'dag_id', 'run_id', 'state', 'run_type', 'logical_date', 'start_date', 'end_date', 'data_interval_start', 'data_interval_end',
  'last_scheduling_decision', 'external_trigger',
] as const;

export interface DagRunPage {
  dagIds?: readonly string[];
  states?: readonly string[];
  /** Inclusive ISO-8601 UTC bounds per date column. */
  ranges?: Partial<Record<'logical_date' | 'start_date' | 'end_date' | 'last_scheduling_decision', { gte?: string; lte?: string }>>;
  orderBy: (typeof DAG_RUN_ORDER_COLUMNS)[number];
  desc: boolean;
  limit: number;
  offset: number;
}
