/**
 * What several schedulers and workers on other hosts need from the database, and only PostgreSQL gives:
 * row locks taken with SKIP LOCKED (each scheduler examines the runs and DAGs no other one is examining, as
 * Airflow 2's HA scheduler does), a transaction-scoped lock around queueing (pools and max_active_tasks are
 * counted by one scheduler at a time), and the job queue (graphile-worker's add_job, in the transaction that
 * sets the task instances `queued`, so the queue and the metadata never diverge). On SQLite, where one
 * scheduler owns the database, the locks are always granted and there is no queue.
 */
import { EngineError } from '../errors.js';
import type { QueueWorkerRow, RunKey, SchedulerJobRow } from './rows.js';
import { IN_FLIGHT, type Sql } from './sql.js';
import type { EndedAttempt, Store } from './store.js';

/** The key of the advisory lock held while one scheduler queues (Airflow's pool-row lock). */
const QUEUEING_LOCK = 7_246_932;
/** The channel a worker notifies when it records attempts' ends: the scheduler that queued them reacts at once. */
export const ATTEMPTS_CHANNEL = 'dagctl_attempts';
/** PostgreSQL's NOTIFY payload limit is 8,000 bytes. */
const MAX_PAYLOAD = 7_500;

/** An end as a notification's row: `[dag, run, task, mapIndex, try, state, skip[]]`, decoded by parseEnded. */
const noticeRow = (e: EndedAttempt): string => JSON.stringify([e.key.dagId, e.key.runId, e.key.taskId, e.key.mapIndex ?? -1, e.tryNumber, e.state, e.skip]);

/**
 * What listening schedulers are told of recorded ends (one end's UPDATE sends its own; a worker announces a turn's
 * together): as few notifications as NOTIFY's payload limit allows, in order. An end too long for one (a branch
 * skipping hundreds of tasks), or a cleared attempt's (state none: it is to be scheduled again), makes an empty
 * one instead, sent once: listeners then look at the store.
 */
export function endedNotices(ends: readonly EndedAttempt[]): string[] {
  const notices: string[] = [];
  let rows: string[] = [];
  let size = 2;
  let lookAtStore = false;
  for (const e of ends) {
    const row = noticeRow(e);
    if (e.state === null || row.length + 2 > MAX_PAYLOAD) {
      lookAtStore = true;
      continue;
    }
    if (size + row.length + 1 > MAX_PAYLOAD) {
      notices.push(`[${rows.join(',')}]`);
      rows = [];
      size = 2;
    }
    rows.push(row);
    size += row.length + 1;
  }
  if (rows.length > 0) notices.push(`[${rows.join(',')}]`);
  if (lookAtStore) notices.push('');
  return notices;
}

/** The ends a notification names; undefined when it cannot be read (then the listener should look at the store). */
export function parseEnded(payload: string): EndedAttempt[] | undefined {
  try {
    const rows = JSON.parse(payload) as Array<[string, string, string, number, number, EndedAttempt['state'], string[]]>;
    return rows.map(([dagId, runId, taskId, mapIndex, tryNumber, state, skip]) => ({ key: { dagId, runId, taskId, mapIndex }, tryNumber, state, skip }));
  } catch {
    return undefined;
  }
}
/** graphile-worker task identifier of an attempt on a queue (workers pick the queues they serve). */
export const attemptTask = (queue: string): string => `dagctl_attempt_${queue}`;

export class QueueNeedsPostgresError extends EngineError {
  constructor() {
    super('queue_needs_postgres', 'the job queue (remote workers) needs PostgreSQL', {
      hint: 'set DAGCTL_DATABASE_URL=postgres://… for `dagctl worker` and DAGCTL_EXECUTOR=queue; on SQLite the scheduler runs tasks in its own worker processes',
    });
  }
}

export type ScaleOutOps = Pick<
  Store,
  | 'claimRunningRuns' | 'claimDag' | 'claimQueueing' | 'enqueueAttempts' | 'wakeSchedulers' | 'announceEnds' | 'lockRun'
  | 'registerQueueWorker' | 'heartbeatQueueWorker' | 'removeQueueWorker' | 'listQueueWorkers' | 'reclaimDeadQueueWorkers'
  | 'registerScheduler' | 'heartbeatScheduler' | 'removeScheduler' | 'listSchedulers' | 'reclaimDeadSchedulers' | 'hasOrphanedAttempts'
>;

/** Processes that record themselves with a heartbeat (`dagctl worker` in queue_worker, `dagctl scheduler` in scheduler_job). */
function heartbeatTable<R extends { id: string; started_at: string; heartbeat_at: string }>(sql: Sql, table: string, columns: ReadonlyArray<keyof R & string>) {
  const cols = columns.join(', ');
  return {
    cols,
    /** Adds the row, or refreshes its heartbeat (the same id registers again after it was taken for dead). */
    register(row: Omit<R, 'heartbeat_at'>, now: string): void {
      sql.run(
        `INSERT INTO ${table} (${cols}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
        ...columns.map((c) => (c === 'heartbeat_at' ? now : (row as Record<string, unknown>)[c])),
      );
    },
    heartbeat(id: string, now: string): boolean {
      return sql.run(`UPDATE ${table} SET heartbeat_at = ? WHERE id = ?`, now, id) === 1;
    },
    remove(id: string): void {
      sql.run(`DELETE FROM ${table} WHERE id = ?`, id);
    },
    list(): R[] {
      return sql.all<R>(`SELECT ${cols} FROM ${table} ORDER BY started_at, id`);
    },
  };
}

export function scaleOutOps(sql: Sql): ScaleOutOps {
  const pg = sql.dialect === 'postgres';
  const workers = heartbeatTable<QueueWorkerRow>(sql, 'queue_worker', ['id', 'hostname', 'pid', 'queues', 'concurrency', 'started_at', 'heartbeat_at']);
  const schedulers = heartbeatTable<SchedulerJobRow>(sql, 'scheduler_job', ['id', 'hostname', 'pid', 'executor', 'started_at', 'heartbeat_at']);
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
      if (jobs.length === 0) return;
      // One statement for the batch. max_attempts 1: the queue never runs a job twice by itself; retries are
      // new tries, scheduled by dagctl. No job key: nothing replaces a job, and a key's lookup costs each add.
      // job_spec is (identifier, payload, queue_name, run_at, max_attempts, job_key, priority, flags).
      sql.get(
        `SELECT count(*) AS n FROM graphile_worker.add_jobs(ARRAY(
           SELECT ROW(j->>'t', j->'p', NULL, NULL, 1, NULL, (j->>'r')::int, NULL)::graphile_worker.job_spec
           FROM json_array_elements(CAST(? AS json)) AS j))`,
        JSON.stringify(jobs.map((j) => ({ t: attemptTask(j.queue), p: j.payload, r: j.priority }))),
      );
    },
    wakeSchedulers() {
      // An empty payload names no attempt: a listening scheduler ticks (see parseEnded).
      if (pg) sql.get(`SELECT pg_notify('${ATTEMPTS_CHANNEL}', '') IS NULL AS sent`);
    },
    announceEnds(ends) {
      if (!pg || ends.length === 0) return;
      sql.get(
        `SELECT count(pg_notify('${ATTEMPTS_CHANNEL}', n)) AS sent FROM json_array_elements_text(CAST(? AS json)) AS n`,
        JSON.stringify(endedNotices(ends)),
      );
    },
    lockRun(k) {
      if (pg) sql.get('SELECT 1 FROM dag_run WHERE dag_id = ? AND run_id = ? FOR UPDATE', k.dagId, k.runId);
    },
    registerQueueWorker: workers.register,
    heartbeatQueueWorker: workers.heartbeat,
    removeQueueWorker: workers.remove,
    listQueueWorkers: workers.list,
    reclaimDeadQueueWorkers(staleBefore) {
      if (!pg) return [];
      return sql.tx(() =>
        sql
          .all<QueueWorkerRow>(
            `SELECT ${workers.cols} FROM queue_worker WHERE heartbeat_at < ? ORDER BY id FOR UPDATE SKIP LOCKED`,
            staleBefore,
          )
          .map((worker) => {
            // Its jobs go back to the queue as they were, for a live worker to run: an attempt in them that is
            // still queued starts there (same try, fenced as ever), one that had started is refused there and
            // left to its heartbeat (a zombie), and one that ended is refused.
            const ids = sql.all<{ id: number }>('SELECT id FROM graphile_worker.jobs WHERE locked_by = ?', worker.id).map((j) => j.id);
            if (ids.length) {
              sql.get('SELECT 1 AS done FROM graphile_worker.force_unlock_workers(ARRAY[CAST(? AS text)])', worker.id);
              sql.get('SELECT count(*) AS n FROM graphile_worker.reschedule_jobs(CAST(? AS bigint[]), attempts => 0)', `{${ids.join(',')}}`);
            }
            workers.remove(worker.id);
            return { worker, requeued: ids.length };
          }),
      );
    },
    registerScheduler: schedulers.register,
    heartbeatScheduler: schedulers.heartbeat,
    removeScheduler: schedulers.remove,
    listSchedulers: schedulers.list,
    reclaimDeadSchedulers(staleBefore) {
      return sql.tx(() => {
        const dead = sql.all<SchedulerJobRow>(
          `SELECT ${schedulers.cols} FROM scheduler_job WHERE heartbeat_at < ? ORDER BY id ${pg ? 'FOR UPDATE SKIP LOCKED' : ''}`,
          staleBefore,
        );
        for (const s of dead) schedulers.remove(s.id);
        return dead;
      });
    },
    hasOrphanedAttempts() {
      return !!sql.get(
        `SELECT 1 FROM task_instance WHERE ${IN_FLIGHT} AND queued_by IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM scheduler_job s WHERE s.id = task_instance.queued_by) LIMIT 1`,
      );
    },
  };
}

