/**
 * The Engine facade: what the CLI (and later HTTP servers) call. Opening it loads the DAG bag, migrates the
 * database and records DAGs and import errors; every method is a thin composition of the store, the
 * schedule math and the scheduler. See contracts/ENGINE.md.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { DAG } from './dag.js';
import { loadDagBag } from './dagbag.js';
import { NEW_POOL_SLOTS, syncBag } from './bag-sync.js';
import type { Json } from './json.js';
import type { RunEvent } from './scheduler.js';
import type { DagRunState, TaskState } from './states.js';
export { databaseLocation, dbFile } from './store/open.js';
import type { DagRow, DagRunRow, ImportErrorRow, TaskInstanceRow } from './store/rows.js';
import { databaseLocation, isPostgresUrl, openStore, openStoreAt } from './store/open.js';
import { QueueNeedsPostgresError } from './store/sql-scale-out.js';
import { EngineImpl } from './engine-impl.js';

export type { DagRow, DagRunRow, ImportErrorRow, TaskInstanceRow, XComRow } from './store/rows.js';
export type { RunEvent } from './scheduler.js';
export type { DagRunState, TaskState } from './states.js';
export type { Json } from './json.js';
export type { Clock } from './clock.js';
export { FakeClock, systemClock } from './clock.js';

export interface EngineOptions {
  /** DAGCTL_HOME: <home>/dagctl.db, <home>/logs/dag_id=…/run_id=…/task_id=…/attempt=N.log */
  home: string;
  /** Folders to load DAG files from (recursively). */
  dagsFolders: string[];
  /** Folders under those not to load (e.g. the nested examples when DAGCTL_LOAD_EXAMPLES=false). */
  excludeFolders?: string[];
  /** Worker processes (default 4). */
  parallelism: number;
  logger: Logger;
  clock?: Clock;
  /** Seconds without a heartbeat before another process's running attempt is a zombie (default 60). */
  zombieThresholdS?: number;
  /** Seconds between a running attempt's heartbeats; a state set from outside ends it within one (default 5). */
  heartbeatS?: number;
  /** Seconds without a heartbeat before a scheduler counts as dead and another adopts its work (default 30). */
  schedulerHealthCheckS?: number;
  /**
   * Where the scheduler's attempts run (Airflow's [core] executor): `local` (default) in its own worker
   * processes; `queue` in PostgreSQL's job queue, for `dagctl worker` processes on any host.
   */
  executor?: 'local' | 'queue';
}

/** A pool and what its task instances in flight take of it (Airflow's REST Pool fields). */
export interface PoolInfo {
  name: string;
  slots: number;
  occupied_slots: number;
  open_slots: number;
  description: string;
}

/** A task as `tasks list` shows it. */
export interface TaskRow {
  task_id: string;
  operator: string;
  trigger_rule: string;
  retries: number;
  retry_delay: number;
  retry_exponential_backoff: boolean;
  max_retry_delay: number | null;
  execution_timeout: number | null;
  pool: string;
  pool_slots: number;
  /** Runs as several task instances (map indexes), from `Operator.partial(...).expand(...)`. */
  is_mapped: boolean;
  max_active_tis_per_dag: number | null;
  priority_weight: number;
  weight_rule: string;
  owner: string;
  upstream_task_ids: string[];
  downstream_task_ids: string[];
  doc: string | null;
}

export interface ClearOptions {
  taskRegex?: string;
  upstream?: boolean;
  downstream?: boolean;
  onlyFailed?: boolean;
  runId?: string;
  start?: Date;
  end?: Date;
  dryRun?: boolean;
}

export interface Engine {
  listDags(): DagRow[];
  getDag(dagId: string): DAG;
  importErrors(): ImportErrorRow[];
  showDag(dagId: string, format: 'text' | 'dot'): string;
  setPaused(dagId: string, paused: boolean): DagRow;
  nextExecution(dagId: string, n: number): Date[];
  triggerDagRun(dagId: string, o?: { conf?: Json; logicalDate?: Date; runId?: string }): DagRunRow;
  listDagRuns(q?: { dagId?: string; state?: DagRunState; limit?: number }): DagRunRow[];
  getDagRun(dagId: string, runId: string): DagRunRow;
  dagRunState(dagId: string, logicalDate: Date): DagRunState | null;
  backfill(dagId: string, start: Date, end: Date, o?: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal }): Promise<DagRunRow[]>;
  listTasks(dagId: string): TaskRow[];
  taskInstances(dagId: string, runId: string): TaskInstanceRow[];
  /** One task instance; `mapIndex` (default -1) names one instance of a mapped task. */
  taskInstance(dagId: string, runId: string, taskId: string, mapIndex?: number): TaskInstanceRow;
  clearTaskInstances(dagId: string, o: ClearOptions): TaskInstanceRow[];
  markTaskInstance(dagId: string, runId: string, taskId: string, state: 'success' | 'failed' | 'skipped', mapIndex?: number): TaskInstanceRow;
  failedDeps(dagId: string, runId: string, taskId: string, mapIndex?: number): string[];
  // pools (Airflow's: a task in flight takes pool_slots of its pool)
  listPools(): PoolInfo[];
  getPool(name: string): PoolInfo;
  /** Creates or resizes a pool (the description is kept when not given). */
  setPool(name: string, slots: number, description?: string): PoolInfo;
  /** Deletes a pool; default_pool cannot be. */
  deletePool(name: string): void;
  taskLog(dagId: string, runId: string, taskId: string, tryNumber?: number, mapIndex?: number): string;
  /** An XCom of a task instance; for a mapped task without a map index, the list of its instances' values in map-index order. */
  xcom(dagId: string, runId: string, taskId: string, key?: string, mapIndex?: number): Json | undefined;
  runScheduler(o: { once?: boolean; signal?: AbortSignal; onEvent?: (e: RunEvent) => void }): Promise<void>;
  schedulerAlive(): boolean;
  waitForRun(dagId: string, runId: string, o?: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal }): Promise<DagRunRow>;
  testDag(dagId: string, logicalDate?: Date, conf?: Json, o?: { onEvent?: (e: RunEvent) => void }): Promise<{ run: DagRunRow; tasks: TaskInstanceRow[] }>;
  testTask(dagId: string, taskId: string, logicalDate?: Date, params?: Json, mapIndex?: number): Promise<{ state: TaskState; returnValue: Json | undefined; log: string }>;
  close(): Promise<void>;
}

export async function openEngine(opts: EngineOptions): Promise<Engine> {
  const clock = opts.clock ?? systemClock;
  const home = path.resolve(opts.home);
  const store = openStore(home, clock.now().toISOString());
  try {
    const bag = await loadDagBag(opts.dagsFolders, opts.logger, opts.excludeFolders ?? []);
    for (const pool of syncBag(store, bag, clock.now())) {
      opts.logger.info({ pool, slots: NEW_POOL_SLOTS }, `created pool '${pool}' (${NEW_POOL_SLOTS} slot), which a task names; resize it with \`dagctl pools set ${pool} N\``);
    }
    return new EngineImpl({ ...opts, home, clock, store, bag });
  } catch (e) {
    store.close();
    throw e;
  }
}

export interface WorkerOptions {
  home: string;
  /** The queues whose attempts it runs (a task's `queue`, default `default`). */
  queues: readonly string[];
  /** Attempts at once: worker processes on this host. */
  concurrency: number;
  /** Seconds between this worker's heartbeats (default 5; DAGCTL_JOB_HEARTBEAT_SEC). */
  heartbeatS?: number;
  logger: Logger;
  signal?: AbortSignal;
  onAttempt?: (job: { dagId: string; runId: string; taskId: string; mapIndex: number; tryNumber: number }, state: string) => void;
}

/** `dagctl worker`: runs attempts from the PostgreSQL job queue on this host until the signal aborts. */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const url = databaseLocation(path.resolve(o.home));
  if (!isPostgresUrl(url)) throw new QueueNeedsPostgresError();
  const store = openStoreAt(url, new Date().toISOString()); // creates or migrates the metadata schema
  try {
    const { runQueueWorker } = await import('./executor/queue-worker.js');
    await runQueueWorker({
      url, store, heartbeatS: o.heartbeatS ?? 5, home: path.resolve(o.home), queues: o.queues, concurrency: o.concurrency, logger: o.logger,
      ...(o.signal ? { signal: o.signal } : {}), ...(o.onAttempt ? { onAttempt: o.onAttempt } : {}),
    });
  } finally {
    store.close();
  }
}
