/**
 * Row types as the store returns them, named as Airflow's REST schemas (DAG, DAGRun, TaskInstance):
 * snake_case, dates as ISO-8601 strings or null, JSON columns decoded.
 */
import type { Json } from '../json.js';
import type { RunType } from '../operator.js';
import type { DagRunState, TiState } from '../states.js';

export interface DagRow {
  dag_id: string;
  fileloc: string;
  owners: string[];
  is_paused: boolean;
  is_active: boolean;
  schedule_interval: string | null;
  tags: string[];
  description: string | null;
  max_active_runs: number;
  max_active_tasks: number;
  last_parsed_time: string | null;
  next_dagrun: string | null;
  next_dagrun_data_interval_start: string | null;
  next_dagrun_data_interval_end: string | null;
  next_dagrun_create_after: string | null;
}

export interface DagRunRow {
  dag_id: string;
  dag_run_id: string;
  run_id: string;
  state: DagRunState;
  run_type: RunType;
  logical_date: string;
  execution_date: string;
  data_interval_start: string | null;
  data_interval_end: string | null;
  queued_at: string | null;
  start_date: string | null;
  end_date: string | null;
  external_trigger: boolean;
  conf: Json;
  last_scheduling_decision: string | null;
}

export interface TaskInstanceRow {
  dag_id: string;
  dag_run_id: string;
  run_id: string;
  task_id: string;
  /** -1 for an unmapped task (and a mapped one not expanded yet); 0..n-1 for a mapped task's instances. */
  map_index: number;
  state: TiState;
  try_number: number;
  max_tries: number;
  start_date: string | null;
  end_date: string | null;
  /** Seconds. */
  duration: number | null;
  operator: string | null;
  pool: string;
  /** Slots of its pool it takes while in flight (default 1). */
  pool_slots: number;
  priority_weight: number;
  queued_when: string | null;
  /** The scheduler that queued the current try (its workers may start it; no other may). */
  queued_by: string | null;
  pid: number | null;
  hostname: string | null;
  /** When an up_for_retry TI may be scheduled again (not in Airflow's API; Airflow computes it). */
  next_retry_at: string | null;
  heartbeat_at: string | null;
}

/** A pool: at most `slots` slots taken at once by its task instances in flight (queued, running). */
export interface PoolRow {
  pool: string;
  slots: number;
  description: string;
}

export interface ImportErrorRow {
  filename: string;
  stack_trace: string;
  timestamp: string;
}

export interface XComRow {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  key: string;
  value: Json;
  timestamp: string;
}

/** A `dagctl worker` serving the job queue (migration 0007). */
/** A `dagctl scheduler` process (migration 0008), as Airflow's job table records a SchedulerJob. */
export interface SchedulerJobRow {
  /** The scheduler's id: what the task instances it queues carry in queued_by. */
  id: string;
  hostname: string;
  pid: number;
  /** `local` (worker processes of its own) or `queue` (the PostgreSQL job queue). */
  executor: string;
  started_at: string;
  heartbeat_at: string;
}

export interface QueueWorkerRow {
  /** The graphile-worker pool id its jobs are locked by. */
  id: string;
  hostname: string;
  pid: number;
  /** Comma-separated queue names. */
  queues: string;
  /** Its worker processes (`--concurrency`): attempts it runs at once. */
  concurrency: number;
  started_at: string;
  heartbeat_at: string;
}

export interface LockHolder {
  token: string;
  kind: string;
  pid: number;
  hostname: string;
  started_at: string;
  heartbeat_at: string;
}

export interface RunKey {
  dagId: string;
  runId: string;
}
export interface TiKey extends RunKey {
  taskId: string;
  /** Which instance of a mapped task; absent or -1 for an unmapped task. */
  mapIndex?: number;
}
