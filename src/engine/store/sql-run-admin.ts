/**
 * What the REST API changes on runs beyond the scheduler's transitions: a run's state set by hand
 * (Airflow's set_dag_run_state_to_*), deleting a run, its note, and listing a task instance's XComs.
 */
import { IllegalTransitionError } from '../errors.js';
import { assertRunTransition } from '../states.js';
import { IN_FLIGHT, parseJson, type Sql } from './sql.js';
import { DAG_RUN_ORDER_COLUMNS, type Store } from './store.js';
import { toRun } from './sql-runs.js';
import type { TaskInstanceRow, XComRow } from './rows.js';

export type RunAdminOps = Pick<Store, 'setDagRunState' | 'deleteDagRun' | 'setDagRunNote' | 'dagRunNotes' | 'listXcoms' | 'pageDagRuns'>;

const RUN = 'dag_id = @dagId AND run_id = @runId';
/** Run columns that are never null: sorting them needs no nulls-last term (and can use their indexes). */
const NOT_NULL = new Set(['id', 'dag_id', 'run_id', 'state', 'run_type', 'logical_date', 'external_trigger']);
const UNFINISHED = "(state IS NULL OR state IN ('scheduled', 'queued', 'running', 'restarting', 'up_for_retry', 'up_for_reschedule'))";

export function runAdminOps(sql: Sql): RunAdminOps {
  return {
    setDagRunState(k, to, now) {
      return sql.tx(() => {
        const what = `dag run ${k.dagId}/${k.runId}`;
        const cur = sql.get<{ state: 'queued' | 'running' | 'success' | 'failed' }>(`SELECT state FROM dag_run WHERE ${RUN}`, k);
        if (!cur) throw new IllegalTransitionError(what, 'missing', to);
        if (cur.state !== to) assertRunTransition(cur.state, to, what);
        const p = { ...k, now };
        // As Airflow: success marks every unfinished task instance success; failed fails those in flight and
        // skips the rest; queued only re-queues the run. A running attempt sees its new state at its next
        // heartbeat and stops; its late report is refused by the try fence.
        let changed: TaskInstanceRow[] = [];
        if (to === 'success' || to === 'failed') {
          changed = sql.all<TaskInstanceRow>(`SELECT * FROM task_instance WHERE ${RUN} AND ${UNFINISHED}`, p);
          const end = `end_date = @now, start_date = COALESCE(start_date, @now), duration = (julianday(@now) - julianday(COALESCE(start_date, @now))) * 86400.0`;
          if (to === 'success') sql.run(`UPDATE task_instance SET state = 'success', ${end} WHERE ${RUN} AND ${UNFINISHED}`, p);
          else {
            sql.run(`UPDATE task_instance SET state = 'failed', ${end} WHERE ${RUN} AND ${IN_FLIGHT}`, p);
            sql.run(`UPDATE task_instance SET state = 'skipped', ${end} WHERE ${RUN} AND ${UNFINISHED}`, p);
          }
          sql.run(`UPDATE dag_run SET state = @to, end_date = @now, last_scheduling_decision = @now WHERE ${RUN}`, { ...p, to });
        } else {
          sql.run(`UPDATE dag_run SET state = 'queued', queued_at = @now, start_date = NULL, end_date = NULL WHERE ${RUN}`, p);
        }
        return changed.map((t) => ({ ...t, dag_run_id: t.run_id }));
      });
    },
    deleteDagRun(k) {
      return sql.tx(() => {
        sql.run(`DELETE FROM xcom WHERE ${RUN}`, k);
        sql.run(`DELETE FROM task_instance WHERE ${RUN}`, k);
        return sql.run(`DELETE FROM dag_run WHERE ${RUN}`, k) === 1;
      });
    },
    setDagRunNote(k, note) {
      return sql.run(`UPDATE dag_run SET note = @note WHERE ${RUN}`, { ...k, note }) === 1;
    },
    dagRunNotes(dagId) {
      const rows = dagId === undefined
        ? sql.all<{ dag_id: string; run_id: string; note: string }>('SELECT dag_id, run_id, note FROM dag_run WHERE note IS NOT NULL')
        : sql.all<{ dag_id: string; run_id: string; note: string }>('SELECT dag_id, run_id, note FROM dag_run WHERE dag_id = ? AND note IS NOT NULL', dagId);
      return new Map(rows.map((r) => [`${r.dag_id}\u0000${r.run_id}`, r.note]));
    },
    listXcoms(k) {
      // Every instance's XComs unless the key names one (map_index -1 is an unmapped task's).
      const one = k.mapIndex !== undefined;
      return sql
        .all<Omit<XComRow, 'value'> & { value: string }>(
          `SELECT dag_id, run_id, task_id, map_index, key, value, timestamp FROM xcom
           WHERE dag_id = ? AND run_id = ? AND task_id = ? ${one ? 'AND map_index = ?' : ''} ORDER BY map_index, key`,
          k.dagId, k.runId, k.taskId, ...(one ? [k.mapIndex] : []),
        )
        .map((r) => ({ ...r, value: parseJson(r.value, null) }));
    },
    pageDagRuns(q) {
      const where: string[] = [];
      const params: unknown[] = [];
      const list = (col: string, values: readonly string[] | undefined): void => {
        if (!values?.length) return;
        where.push(`${col} IN (${values.map(() => '?').join(', ')})`);
        params.push(...values);
      };
      list('dag_id', q.dagIds);
      list('state', q.states);
      for (const [col, b] of Object.entries(q.ranges ?? {})) {
        if (b?.gte !== undefined) (where.push(`${col} >= ?`), params.push(b.gte));
        if (b?.lte !== undefined) (where.push(`${col} <= ?`), params.push(b.lte));
      }
      if (!(DAG_RUN_ORDER_COLUMNS as readonly string[]).includes(q.orderBy)) throw new Error(`cannot order runs by ${q.orderBy}`);
      const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const dir = q.desc ? 'DESC' : 'ASC';
      // Nulls last ascending and first descending (as PostgreSQL sorts for Airflow); then creation order.
      const nullable = !NOT_NULL.has(q.orderBy);
      const order = q.orderBy === 'id' ? `id ${dir}` : `${nullable ? `${q.orderBy} IS NULL ${dir}, ` : ''}${q.orderBy} ${dir}, id ${dir}`;
      const total = sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM dag_run ${w}`, ...params)!.n;
      const rows = sql
        .all<Parameters<typeof toRun>[0] & { note: string | null }>(
          `SELECT dag_id, run_id, state, run_type, logical_date, data_interval_start, data_interval_end, queued_at, start_date, end_date,
             external_trigger, conf, last_scheduling_decision, note FROM dag_run ${w} ORDER BY ${order} LIMIT ? OFFSET ?`,
          ...params, q.limit, q.offset,
        )
        .map((r) => ({ ...toRun(r), note: r.note }));
      return { rows, total };
    },
  };
}
