/** Creating DAG runs: run ids as Airflow formats them, and the run's task instances. */
import type { DAG } from './dag.js';
import { InvalidRunIdError } from './errors.js';
import type { Json } from './json.js';
import type { RunType } from './operator.js';
import type { DagRunRow } from './store/rows.js';
import type { Store } from './store/store.js';

/** Python's isoformat() of an aware UTC datetime: 2026-01-01T00:00:00+00:00 (microseconds when non-zero). */
export function pyIsoformat(d: Date): string {
  const iso = d.toISOString();
  const ms = d.getUTCMilliseconds();
  return `${iso.slice(0, 19)}${ms ? `.${String(ms * 1000).padStart(6, '0')}` : ''}+00:00`;
}

/** `scheduled__2026-01-01T00:00:00+00:00`, `manual__…`, `backfill__…`. */
export function runIdFor(runType: RunType, logicalDate: Date): string {
  return `${runType}__${pyIsoformat(logicalDate)}`;
}

export interface CreateRun {
  runType: RunType;
  logicalDate: Date;
  dataIntervalStart: Date;
  dataIntervalEnd: Date;
  conf?: Json;
  runId?: string;
  state?: 'queued' | 'running';
}

/** Airflow's default run_id_pattern; it also keeps a run id one path segment of the log and output folders. */
const RUN_ID_RE = /^[A-Za-z0-9_.~:+-]+$/;

export function createRun(store: Store, dag: DAG, o: CreateRun, now: Date): DagRunRow {
  if (o.runId !== undefined && (!RUN_ID_RE.test(o.runId) || o.runId === '.' || o.runId === '..' || o.runId.length > 250)) throw new InvalidRunIdError(o.runId);
  return store.createDagRun(
    {
      dag_id: dag.dagId,
      run_id: o.runId ?? runIdFor(o.runType, o.logicalDate),
      run_type: o.runType,
      logical_date: o.logicalDate.toISOString(),
      data_interval_start: o.dataIntervalStart.toISOString(),
      data_interval_end: o.dataIntervalEnd.toISOString(),
      external_trigger: o.runType !== 'scheduled',
      conf: o.conf ?? {},
      state: o.state ?? 'queued',
    },
    dag.tasks.map((t) => ({
      task_id: t.taskId,
      operator: t.operatorName,
      pool: t.pool,
      pool_slots: t.poolSlots,
      priority_weight: dag.priorityOf(t.taskId),
      max_tries: t.retries,
    })),
    now.toISOString(),
  );
}
