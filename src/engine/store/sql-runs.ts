/** DAG runs: creation (with their task instances) and the run-level transitions. */
import { DagRunAlreadyExistsError, IllegalTransitionError } from '../errors.js';
import { assertRunTransition, type DagRunState } from '../states.js';
import type { DagRunRow, RunKey } from './rows.js';
import { parseJson, powerOfTwoChunks, refreshPlannerStats, type Sql } from './sql.js';
import type { DagRunQuery, NewDagRun, NewTi, Store } from './store.js';

type RunDb = Omit<DagRunRow, 'dag_run_id' | 'execution_date' | 'conf' | 'external_trigger'> & { conf: string; external_trigger: number };

const RUN_COLS =
  'dag_id, run_id, state, run_type, logical_date, data_interval_start, data_interval_end, queued_at, start_date, end_date, external_trigger, conf, last_scheduling_decision';

export function toRun(r: RunDb): DagRunRow {
  return {
    dag_id: r.dag_id,
    dag_run_id: r.run_id,
    run_id: r.run_id,
    state: r.state,
    run_type: r.run_type,
    logical_date: r.logical_date,
    execution_date: r.logical_date,
    data_interval_start: r.data_interval_start,
    data_interval_end: r.data_interval_end,
    queued_at: r.queued_at,
    start_date: r.start_date,
    end_date: r.end_date,
    external_trigger: r.external_trigger === 1,
    conf: parseJson(r.conf, {}),
    last_scheduling_decision: r.last_scheduling_decision,
  };
}

export type RunOps = Pick<
  Store,
  'createDagRun' | 'getDagRun' | 'getDagRunByLogicalDate' | 'listDagRuns' | 'latestScheduledRun' | 'countRuns' | 'startDagRun' | 'finishDagRun' | 'touchDagRun'
>;

export function runOps(sql: Sql): RunOps {
  const getDagRun = (k: RunKey): DagRunRow | undefined => {
    const r = sql.get<RunDb>(`SELECT ${RUN_COLS} FROM dag_run WHERE dag_id = ? AND run_id = ?`, k.dagId, k.runId);
    return r && toRun(r);
  };
  const mustGet = (k: RunKey): DagRunRow => {
    const r = getDagRun(k);
    if (!r) throw new Error(`dag run ${k.dagId}/${k.runId} vanished`);
    return r;
  };
  /** One guarded run transition: UPDATE … WHERE state = from; 0 rows -> IllegalTransitionError. */
  const transition = (k: RunKey, to: DagRunState, allowedFrom: readonly DagRunState[], set: string, params: Record<string, unknown>): DagRunRow =>
    sql.tx(() => {
      const cur = getDagRun(k);
      const what = `dag run ${k.dagId}/${k.runId}`;
      if (!cur) throw new IllegalTransitionError(what, 'missing', to);
      if (!allowedFrom.includes(cur.state)) throw new IllegalTransitionError(what, cur.state, to);
      assertRunTransition(cur.state, to, what);
      const n = sql.run(`UPDATE dag_run SET state = @to, ${set} WHERE dag_id = @dagId AND run_id = @runId AND state = @from`, {
        ...params, to, from: cur.state, dagId: k.dagId, runId: k.runId,
      });
      if (n !== 1) throw new IllegalTransitionError(what, cur.state, to);
      return mustGet(k);
    });

  return {
    createDagRun(run: NewDagRun, tis: NewTi[], now: string) {
      return sql.tx(() => {
        if (sql.get('SELECT 1 FROM dag_run WHERE dag_id = ? AND run_id = ?', run.dag_id, run.run_id)) {
          throw new DagRunAlreadyExistsError(run.dag_id, `run_id '${run.run_id}'`);
        }
        if (sql.get('SELECT 1 FROM dag_run WHERE dag_id = ? AND logical_date = ?', run.dag_id, run.logical_date)) {
          throw new DagRunAlreadyExistsError(run.dag_id, `logical date ${run.logical_date}`);
        }
        sql.run(
          `INSERT INTO dag_run (dag_id, run_id, state, run_type, logical_date, data_interval_start, data_interval_end, queued_at, start_date, external_trigger, conf)
           VALUES (@dag_id, @run_id, @state, @run_type, @logical_date, @data_interval_start, @data_interval_end, @now, @start, @ext, @conf)`,
          { ...run, now, start: run.state === 'running' ? now : null, ext: run.external_trigger ? 1 : 0, conf: JSON.stringify(run.conf ?? {}) },
        );
        // Many rows per statement (a 10,000-task run in 40 statements, not 10,000), in few distinct statement texts.
        for (const chunk of powerOfTwoChunks(tis)) {
          sql.run(
            `INSERT INTO task_instance (dag_id, run_id, task_id, state, try_number, max_tries, operator, pool, pool_slots, priority_weight)
             VALUES ${chunk.map(() => '(?, ?, ?, NULL, 0, ?, ?, ?, ?, ?)').join(', ')}`,
            ...chunk.flatMap((t) => [run.dag_id, run.run_id, t.task_id, t.max_tries, t.operator, t.pool, t.pool_slots, t.priority_weight]),
          );
        }
        refreshPlannerStats(sql, tis.length);
        return mustGet({ dagId: run.dag_id, runId: run.run_id });
      });
    },
    getDagRun,
    getDagRunByLogicalDate(dagId, logicalDate) {
      const r = sql.get<RunDb>(`SELECT ${RUN_COLS} FROM dag_run WHERE dag_id = ? AND logical_date = ?`, dagId, logicalDate);
      return r && toRun(r);
    },
    listDagRuns(q: DagRunQuery = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.dagId !== undefined) (where.push('dag_id = ?'), params.push(q.dagId));
      if (q.state !== undefined) (where.push('state = ?'), params.push(q.state));
      if (q.runType !== undefined) (where.push('run_type = ?'), params.push(q.runType));
      const order = q.order === 'asc' ? 'ASC' : 'DESC';
      const sqlText = `SELECT ${RUN_COLS} FROM dag_run ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY logical_date ${order}, id ${order} ${q.limit !== undefined ? 'LIMIT ?' : ''}`;
      if (q.limit !== undefined) params.push(q.limit);
      return sql.all<RunDb>(sqlText, ...params).map(toRun);
    },
    latestScheduledRun(dagId) {
      const r = sql.get<RunDb>(`SELECT ${RUN_COLS} FROM dag_run WHERE dag_id = ? AND run_type = 'scheduled' ORDER BY logical_date DESC LIMIT 1`, dagId);
      return r && toRun(r);
    },
    countRuns(dagId, state) {
      return sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM dag_run WHERE dag_id = ? AND state = ?', dagId, state)!.n;
    },
    startDagRun(k, now) {
      return transition(k, 'running', ['queued'], 'start_date = COALESCE(start_date, @now), end_date = NULL, last_scheduling_decision = @now', { now });
    },
    finishDagRun(k, state, now, o = {}) {
      return sql.tx(() => {
        const run = transition(k, state, ['running', 'queued'], 'end_date = @now, last_scheduling_decision = @now', { now });
        if (o.skipUnfinished) {
          // dagrun_timeout: what has not finished is skipped, attempts in flight included (as Airflow does):
          // their workers see it at the next heartbeat and terminate them; their late results are refused.
          sql.run(
            `UPDATE task_instance SET state = 'skipped', end_date = @now WHERE dag_id = @dagId AND run_id = @runId
               AND (state IS NULL OR state IN ('scheduled', 'queued', 'running', 'restarting', 'up_for_retry', 'up_for_reschedule'))`,
            { now, dagId: k.dagId, runId: k.runId },
          );
        }
        return run;
      });
    },
    touchDagRun(k, now) {
      sql.run('UPDATE dag_run SET last_scheduling_decision = ? WHERE dag_id = ? AND run_id = ?', now, k.dagId, k.runId);
    },
  };
}
