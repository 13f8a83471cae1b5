/**
 * What several schedulers and workers on other hosts need from the database, and only PostgreSQL gives:
 * row locks taken with SKIP LOCKED (each scheduler examines the runs and DAGs no other one is examining, as
 * Airflow 2's HA scheduler does), a transaction-scoped lock around queueing (pools and max_active_tasks are
 * counted by one scheduler at a time), and the job queue (graphile-worker's add_job, in the transaction that
 * sets the task instances `queued`, so the queue and the metadata never diverge). On SQLite, where one
 * scheduler owns the database, the locks are always granted and there is no queue.
 */
import { EngineError } from '../errors.js';
import type { RunKey } from './rows.js';
import type { Sql } from './sql.js';
import type { Store } from './store.js';

/** The key of the advisory lock held while one scheduler queues (Airflow's pool-row lock). */
const QUEUEING_LOCK = 7_246_932;
/** The channel a worker notifies when it records an attempt's end: schedulers listening tick at once. */
export const ATTEMPTS_CHANNEL = 'dagctl_attempts';
/** graphile-worker task identifier of an attempt on a queue (workers pick the queues they serve). */
export const attemptTask = (queue: string): string => `dagctl_attempt_${queue}`;

export class QueueNeedsPostgresError extends EngineError {
  constructor() {
    super('queue_needs_postgres', 'the job queue (remote workers) needs PostgreSQL', {
      hint: 'set DAGCTL_DATABASE_URL=postgres://… for `dagctl worker` and DAGCTL_EXECUTOR=queue; on SQLite the scheduler runs tasks in its own worker processes',
    });
  }
}

export type ScaleOutOps = Pick<Store, 'claimRunningRuns' | 'claimDag' | 'claimQueueing' | 'enqueueAttempts' | 'notifyAttempts'>;

export function scaleOutOps(sql: Sql): ScaleOutOps {
  const pg = sql.dialect === 'postgres';
  return {
    claimRunningRuns(excludeBackfill) {
      // Row locks last until the scheduler's transaction ends: two schedulers never examine one run at once.
      return sql
        .all<{ dag_id: string; run_id: string }>(
          `SELECT dag_id, run_id FROM dag_run WHERE state = 'running' ${excludeBackfill ? "AND run_type != 'backfill'" : ''}
           ORDER BY logical_date, id ${pg ? 'FOR UPDATE SKIP LOCKED' : ''}`,
        )
        .map((r): RunKey => ({ dagId: r.dag_id, runId: r.run_id }));
    },
    claimDag(dagId) {
      if (!pg) return true;
      return !!sql.get('SELECT 1 FROM dag WHERE dag_id = ? FOR UPDATE SKIP LOCKED', dagId);
    },
    claimQueueing() {
      if (!pg) return true;
      return sql.get<{ got: boolean }>(`SELECT pg_try_advisory_xact_lock(${QUEUEING_LOCK}) AS got`)!.got;
    },
    enqueueAttempts(jobs) {
      if (!pg) throw new QueueNeedsPostgresError();
      for (const j of jobs) {
        // max_attempts 1: a try is never run twice by the queue; retries are new tries, scheduled by dagctl.
        sql.get('SELECT graphile_worker.add_job(?, CAST(? AS json), NULL, NULL, 1, NULL, ?) IS NOT NULL AS ok', attemptTask(j.queue), JSON.stringify(j.payload), j.priority);
      }
    },
    notifyAttempts() {
      if (pg) sql.get(`SELECT pg_notify('${ATTEMPTS_CHANNEL}', '')`);
    },
  };
}

