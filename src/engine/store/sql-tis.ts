/** Task instances and XCom: the attempt lifecycle, each step a guarded transition. */
import { IllegalTransitionError } from '../errors.js';
import type { Json } from '../json.js';
import { assertTransition, type TiState } from '../states.js';
import type { RunKey, TaskInstanceRow, TiKey } from './rows.js';
import { chunks, IN_FLIGHT, padded, parseJson, powerOfTwoChunks, refreshPlannerStats, scopeParams, scopeWhere, type Scope, type Sql } from './sql.js';
import { ATTEMPTS_CHANNEL, endedNotices } from './sql-scale-out.js';
import { perTaskKey, type AttemptEnd, type ClearSpec, type EndOutcome, type QueueCandidate, type Store, type TiDecided, type TiDecision } from './store.js';

type TiDb = Omit<TaskInstanceRow, 'dag_run_id'>;
const toTi = (r: TiDb): TaskInstanceRow => ({ ...r, dag_run_id: r.run_id });
const KEY = 'dag_id = @dagId AND run_id = @runId AND task_id = @taskId AND map_index = @mapIndex';
const TASK = 'dag_id = @dagId AND run_id = @runId AND task_id = @taskId';
/**
 * The state in a guard next to KEY or TASK, as an expression no index can serve: the lookup then always goes
 * through the primary key. Otherwise PostgreSQL, with statistics taken when the run's states were all one value,
 * picks ti_run_state (dag_id, run_id, state) and filters every row of the run in that state (2 ms per
 * statement in a 10,000-task run, measured with auto_explain); SQLite takes the same advice (its docs' `+x`).
 */
const STATE = "(state || '')";
/** Keys grouped by their run, in first-seen order. */
function byRun(keys: readonly TiKey[]): Array<{ run: RunKey; keys: TiKey[] }> {
  const runs = new Map<string, { run: RunKey; keys: TiKey[] }>();
  for (const k of keys) {
    const id = `${k.dagId}\u0000${k.runId}`;
    const r = runs.get(id) ?? { run: { dagId: k.dagId, runId: k.runId }, keys: [] };
    r.keys.push(k);
    runs.set(id, r);
  }
  return [...runs.values()];
}
/** A key as named parameters (an unmapped task's map index is -1). */
const kp = (k: TiKey): { dagId: string; runId: string; taskId: string; mapIndex: number } => ({ dagId: k.dagId, runId: k.runId, taskId: k.taskId, mapIndex: k.mapIndex ?? -1 });
/** What queueing needs; fewer columns than ti.* keeps the hot path cheap. */
const CAND_COLS = 'ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.max_tries, ti.pool, ti.pool_slots, ti.priority_weight, r.logical_date';
/** Seconds from start_date (or `end`, if it never started) to `end`, a SQL parameter name. */
const durationUntil = (end: string): string => `(julianday(${end}) - julianday(COALESCE(start_date, ${end}))) * 86400.0`;
const DURATION = durationUntil('@now');

export type TiOps = Pick<
  Store,
  | 'getTi' | 'listTis' | 'tiStates' | 'hasUnfinishedTis' | 'applyDecisions' | 'queueCandidates' | 'inFlightCounts' | 'queueTis'
  | 'startAttempt' | 'heartbeatAttempt' | 'endAttempts' | 'scheduleDueRetries' | 'nextRetryDue' | 'resetQueued' | 'liveAttempts'
  | 'clearTis' | 'markTi' | 'getXcom' | 'putXcom' | 'mappedXcoms'
>;

export function tiOps(sql: Sql): TiOps {
  const pg = sql.dialect === 'postgres';
  const getTi = (k: TiKey): TaskInstanceRow | undefined => {
    const r = sql.get<TiDb>(`SELECT * FROM task_instance WHERE ${KEY}`, kp(k));
    return r && toTi(r);
  };
  const what = (k: TiKey): string => `task instance ${k.dagId}/${k.runId}/${k.taskId}${(k.mapIndex ?? -1) >= 0 ? `[${k.mapIndex}]` : ''}`;
  /** After a guarded UPDATE changed nothing: name the state actually found. */
  const illegal = (k: TiKey, to: TiState): IllegalTransitionError =>
    new IllegalTransitionError(what(k), getTi(k)?.state ?? (getTi(k) ? 'none' : 'missing'), to ?? 'none');
  /** What a report for try `a.tryNumber` finds instead: the state, with the current try when it is another one. */
  const foundFor = (a: { key: TiKey; tryNumber: number }): string => {
    const cur = sql.get<{ state: TiState; try_number: number }>(`SELECT state, try_number FROM task_instance WHERE ${KEY}`, kp(a.key));
    if (!cur) return 'missing';
    return cur.try_number === a.tryNumber ? (cur.state ?? 'none') : `${cur.state ?? 'none'}, at try ${cur.try_number}`;
  };
  /** A worker's report for a try that is no longer the current one, or no longer in the state it expects. */
  const refused = (a: { key: TiKey; tryNumber: number }, to: TiState): IllegalTransitionError =>
    new IllegalTransitionError(`${what(a.key)} try ${a.tryNumber}`, foundFor(a), to ?? 'none');
  /**
   * An attempt's end, fenced by its try. A cleared attempt (restarting) goes back to none now that it is over, to
   * be run again as a new try. On PostgreSQL the scheduler that queued it hears of it at commit, from the same
   * statement (a cleared one's notice is empty: listeners look at the store).
   */
  const END_QUIET = `UPDATE task_instance SET state = CASE state WHEN 'restarting' THEN NULL ELSE @state END, end_date = @endedAt,
       next_retry_at = CASE state WHEN 'restarting' THEN NULL ELSE @nextRetryAt END, duration = ${durationUntil('@endedAt')}
     WHERE ${KEY} AND try_number = @tryNumber AND ${STATE} IN ('running', 'restarting')
     RETURNING state`;
  const END_ATTEMPT = pg ? `${END_QUIET}, pg_notify('${ATTEMPTS_CHANNEL}', CASE WHEN state IS NULL THEN '' ELSE @notice END) IS NULL AS sent` : END_QUIET;
  const putXcom = (k: TiKey, key: string, value: Json, now: string): void => {
    sql.run(
      `INSERT INTO xcom (dag_id, run_id, task_id, map_index, key, value, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp`,
      k.dagId, k.runId, k.taskId, k.mapIndex ?? -1, key, JSON.stringify(value), now,
    );
  };
  const deleteXcoms = (k: TiKey): void => {
    sql.run('DELETE FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?', k.dagId, k.runId, k.taskId, k.mapIndex ?? -1);
  };

  /**
   * Gives a mapped task n instances in state `from` (Airflow's expand_mapped_task and, for one expanded
   * before, _revise_map_indexes_if_mapped): the placeholder becomes index 0, missing indexes are created from
   * it (or from any instance), waiting ones at n and beyond are removed, removed ones below n wait again
   * (Airflow's verify_integrity). Instances that ran keep their state.
   */
  const expand = (key: TiKey, n: number, maxTries: number, from: TiState): void => {
    const p = kp(key);
    if (n === 0) return; // the decision skips the placeholder itself
    const have = sql.all<{ map_index: number; operator: string | null; pool: string; pool_slots: number; priority_weight: number }>(
      `SELECT map_index, operator, pool, pool_slots, priority_weight FROM task_instance WHERE ${TASK} ORDER BY map_index`,
      p,
    );
    // The new instances copy the task's pool and weight from the first that exists, many rows per statement.
    const like = have[0];
    if (!like) return;
    if (like.map_index === -1) sql.run(`UPDATE task_instance SET map_index = 0 WHERE ${TASK} AND map_index = -1`, p);
    const existing = new Set(have.map((r) => Math.max(r.map_index, 0)));
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !existing.has(i));
    for (const chunk of powerOfTwoChunks(missing)) {
      sql.run(
        `INSERT INTO task_instance (dag_id, run_id, task_id, map_index, state, try_number, max_tries, operator, pool, pool_slots, priority_weight)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)').join(', ')}`,
        ...chunk.flatMap((i) => [p.dagId, p.runId, p.taskId, i, from, maxTries, like.operator, like.pool, like.pool_slots, like.priority_weight]),
      );
    }
    refreshPlannerStats(sql, missing.length);
    sql.run(`UPDATE task_instance SET state = 'removed' WHERE ${TASK} AND map_index >= @n AND ${STATE} IS NOT DISTINCT FROM @from`, { ...p, n, from });
    sql.run(`UPDATE task_instance SET state = @from WHERE ${TASK} AND map_index < @n AND ${STATE} = 'removed'`, { ...p, n, from });
  };

  /**
   * Moves every instance of these tasks of a run that is in state `from` to `to`; the rows it changed. A plain IN
   * list, not IN (VALUES …): PostgreSQL turns the list into `= ANY` on the primary key, where it hash-joined the
   * VALUES against a scan of the whole run (250 ms per chunk of a 10,000-task run, EXPLAIN ANALYZE).
   */
  const setStates = (k: RunKey, taskIds: readonly string[], from: TiState, to: TiState, now: string): Array<{ task_id: string; map_index: number; state: TiState }> => {
    const ids = padded(taskIds);
    return sql.all(
      `UPDATE task_instance SET state = ?, end_date = CASE WHEN CAST(? AS TEXT) = 'scheduled' THEN end_date ELSE CAST(? AS TEXT) END
       WHERE dag_id = ? AND run_id = ? AND task_id IN (${ids.map(() => '?').join(', ')}) AND ${STATE} IS NOT DISTINCT FROM ?
       RETURNING task_id, map_index, state`,
      to, to, now, k.dagId, k.runId, ...ids, from,
    );
  };

  return {
    getTi,
    listTis(k: RunKey) {
      return sql.all<TiDb>('SELECT * FROM task_instance WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index', k.dagId, k.runId).map(toTi);
    },
    tiStates(k, taskIds) {
      const out = new Map<string, TiState[]>();
      if (taskIds === undefined || taskIds.length > 200) {
        const want = taskIds && new Set(taskIds);
        for (const r of sql.all<{ task_id: string; state: TiState }>('SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index', k.dagId, k.runId)) {
          if (want && !want.has(r.task_id)) continue;
          const list = out.get(r.task_id);
          if (list) list.push(r.state);
          else out.set(r.task_id, [r.state]);
        }
        return out;
      }
      for (const t of taskIds) {
        const rows = sql.all<{ state: TiState }>('SELECT state FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ? ORDER BY map_index', k.dagId, k.runId, t);
        if (rows.length) out.set(t, rows.map((r) => r.state));
      }
      return out;
    },
    hasUnfinishedTis(k) {
      // Two index seeks rather than one OR (which would scan the run's TIs). ORDER BY the index's columns: with
      // statistics taken while a new run's task instances all had no state, PostgreSQL expects thousands of
      // matches, and for LIMIT 1 scans the table for the first (10,000 rows and 2–10 ms per call at the end of
      // a 10,000-task run, measured with auto_explain); ordered, only the index avoids a sort.
      return !!(
        sql.get('SELECT 1 FROM task_instance WHERE dag_id = ? AND run_id = ? AND state IS NULL ORDER BY dag_id, run_id, state LIMIT 1', k.dagId, k.runId) ??
        sql.get(
          `SELECT 1 FROM task_instance WHERE dag_id = ? AND run_id = ? AND state IN ('scheduled', 'queued', 'running', 'restarting', 'up_for_retry', 'up_for_reschedule')
           ORDER BY dag_id, run_id, state LIMIT 1`,
          k.dagId, k.runId,
        )
      );
    },
    applyDecisions(k, decisions: TiDecision[], now) {
      if (decisions.length === 0) return [];
      return sql.tx(() => {
        const found = new Map<string, Array<{ map_index: number; state: TiState }>>();
        const plain = new Map<string, TiDecision[]>();
        for (const d of decisions) {
          const key = { dagId: k.dagId, runId: k.runId, taskId: d.taskId };
          assertTransition(d.from, d.to, what(key));
          if (d.expand) {
            // A mapped task's instances change in number first; its own UPDATE then settles them all.
            expand(key, d.expand.count, d.expand.maxTries, d.from);
            found.set(d.taskId, setStates(k, [d.taskId], d.from, d.to, now));
            continue;
          }
          // The rest in one statement per (from, to) and chunk: a fan-out's 10,000 decisions in 40, not 10,000.
          const same = `${d.from}\u0000${d.to}`;
          const list = plain.get(same);
          if (list) list.push(d);
          else plain.set(same, [d]);
        }
        for (const ds of plain.values()) {
          for (const chunk of chunks(ds.map((d) => d.taskId))) {
            for (const r of setStates(k, chunk, ds[0]!.from, ds[0]!.to, now)) {
              const list = found.get(r.task_id) ?? [];
              list.push(r);
              found.set(r.task_id, list);
            }
          }
        }
        const out: TiDecided[] = [];
        for (const d of decisions) {
          const rows = found.get(d.taskId) ?? [];
          // A revised expansion may leave nothing waiting (the cleared instance was beyond the new length): no change.
          if (rows.length === 0 && !d.expand) throw illegal({ ...k, taskId: d.taskId }, d.to);
          for (const r of rows.sort((a, b) => a.map_index - b.map_index)) out.push({ taskId: d.taskId, mapIndex: r.map_index, to: r.state as TiDecided['to'] });
        }
        return out;
      });
    },
    queueCandidates(limit, scope: Scope, pools, exclude = []) {
      // One query per pool (and per run when scoped), each walking an index in priority order to its LIMIT.
      const backfill = scope.excludeBackfill ? "AND r.run_type != 'backfill'" : '';
      // Tasks at their cap stay out of the query, or their backlog would fill the LIMIT and starve the rest (Airflow's starved_tasks).
      const capped = exclude.map(() => 'AND NOT (ti.dag_id = ? AND ti.task_id = ?)').join(' ');
      const cappedParams = exclude.flatMap((t) => [t.dagId, t.taskId]);
      const out = pools.flatMap((pool) =>
        scope.runs
          ? scope.runs.flatMap((k) =>
              sql.all<QueueCandidate>(
                `SELECT ${CAND_COLS} FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
                 WHERE ti.dag_id = ? AND ti.run_id = ? AND ti.state = 'scheduled' AND ti.pool = ? AND r.state = 'running' ${capped}
                 ORDER BY ti.priority_weight DESC LIMIT ?`,
                k.dagId, k.runId, pool, ...cappedParams, limit,
              ),
            )
          : sql.all<QueueCandidate>(
              `SELECT ${CAND_COLS} FROM task_instance ti INDEXED BY ti_state JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
               WHERE ti.state = 'scheduled' AND ti.pool = ? AND r.state = 'running' ${backfill} ${capped} ORDER BY ti.priority_weight DESC LIMIT ?`,
              pool, ...cappedParams, limit,
            ),
      );
      if (pools.length === 1 && !(scope.runs && scope.runs.length > 1)) return out;
      return out.sort((a, b) => b.priority_weight - a.priority_weight || a.logical_date.localeCompare(b.logical_date)).slice(0, limit);
    },
    inFlightCounts(perTask = []) {
      const tasksPerDag = new Map<string, number>();
      const tisPerTask = new Map<string, number>();
      const slotsPerPool = new Map<string, number>();
      // A row per DAG and pool, not per task: a wide fan-out has hundreds of tasks in flight at each step.
      for (const r of sql.all<{ dag_id: string; pool: string; n: number; slots: number }>(
        `SELECT dag_id, pool, COUNT(*) AS n, SUM(pool_slots) AS slots FROM task_instance WHERE ${IN_FLIGHT} GROUP BY dag_id, pool`,
      )) {
        tasksPerDag.set(r.dag_id, (tasksPerDag.get(r.dag_id) ?? 0) + r.n);
        slotsPerPool.set(r.pool, (slotsPerPool.get(r.pool) ?? 0) + r.slots);
      }
      for (const chunk of chunks(perTask)) {
        const rows = padded(chunk);
        for (const r of sql.all<{ dag_id: string; task_id: string; n: number }>(
          `SELECT dag_id, task_id, COUNT(*) AS n FROM task_instance WHERE ${IN_FLIGHT}
           AND (dag_id, task_id) IN (VALUES ${rows.map(() => '(CAST(? AS TEXT), CAST(? AS TEXT))').join(', ')}) GROUP BY dag_id, task_id`,
          ...rows.flatMap((t) => [t.dagId, t.taskId]),
        )) {
          tisPerTask.set(perTaskKey(r.dag_id, r.task_id), r.n);
        }
      }
      return { tasksPerDag, tisPerTask, slotsPerPool };
    },
    queueTis(keys, now, queuedBy) {
      return sql.tx(() => {
        /** Try numbers by task instance (runs differ: one task of two runs may be at different tries). */
        const tries = new Map<string, number>();
        const id = (dagId: string, runId: string, taskId: string, mapIndex: number): string => [dagId, runId, taskId, mapIndex].join('\u0000');
        for (const { run, keys: ofRun } of byRun(keys)) {
          for (const chunk of chunks(ofRun)) {
            // One statement per chunk (a primary-key lookup per row on both databases).
            const rows = padded(chunk);
            for (const r of sql.all<{ dag_id: string; run_id: string; task_id: string; map_index: number; try_number: number }>(
              `UPDATE task_instance SET state = 'queued', try_number = try_number + 1, queued_when = ?, queued_by = ?, pid = NULL, hostname = NULL
               WHERE dag_id = ? AND run_id = ? AND (task_id, map_index) IN (VALUES ${rows.map(() => '(CAST(? AS TEXT), CAST(? AS INTEGER))').join(', ')})
               AND ${STATE} = 'scheduled' RETURNING dag_id, run_id, task_id, map_index, try_number`,
              now, queuedBy, run.dagId, run.runId, ...rows.flatMap((k) => [k.taskId, k.mapIndex ?? -1]),
            )) {
              tries.set(id(r.dag_id, r.run_id, r.task_id, r.map_index), r.try_number);
            }
          }
        }
        return keys.map((k) => {
          const t = tries.get(id(k.dagId, k.runId, k.taskId, k.mapIndex ?? -1));
          if (t === undefined) throw illegal(k, 'queued');
          if (t > 1) deleteXcoms(k); // XCom is cleared when a task instance reruns
          return t;
        });
      });
    },
    startAttempt(a, o, now) {
      const n = sql.run(
        `UPDATE task_instance SET state = 'running', start_date = @now, end_date = NULL, duration = NULL, pid = @pid, hostname = @hostname,
           heartbeat_at = @now WHERE ${KEY} AND ${STATE} = 'queued' AND try_number = @tryNumber AND queued_by IS NOT DISTINCT FROM @queuedBy
           AND (CAST(@queuedAt AS TEXT) IS NULL OR queued_when = @queuedAt)`,
        { tryNumber: a.tryNumber, queuedBy: a.queuedBy, queuedAt: a.queuedAt ?? null, pid: o.pid, hostname: o.hostname, now, ...kp(a.key) },
      );
      if (n !== 1) throw refused(a, 'running');
    },
    heartbeatAttempt(a, now) {
      const n = sql.run(`UPDATE task_instance SET heartbeat_at = @now WHERE ${KEY} AND ${STATE} = 'running' AND try_number = @tryNumber`, { tryNumber: a.tryNumber, now, ...kp(a.key) });
      return n === 1 ? { owned: true } : { owned: false, state: foundFor(a) };
    },
    endAttempts(ends: readonly AttemptEnd[], now, o = {}) {
      const announce = pg && o.announce !== false;
      const one = (e: AttemptEnd): EndOutcome => {
        const params = { state: e.state, nextRetryAt: e.nextRetryAt, tryNumber: e.tryNumber, endedAt: e.endedAt ?? now, ...kp(e.key) };
        const row = announce
          ? sql.get<{ state: TiState }>(END_ATTEMPT, { notice: endedNotices([e])[0], ...params })
          : sql.get<{ state: TiState }>(END_QUIET, params);
        if (!row) return { refused: refused(e, e.state) };
        if (row.state === null) return { state: null };
        for (const x of e.xcoms) putXcom(e.key, x.key, x.value, now);
        for (const taskId of e.skip) {
          sql.run(
            `UPDATE task_instance SET state = 'skipped', end_date = @now WHERE ${TASK} AND (${STATE} IS NULL OR ${STATE} = 'scheduled')`,
            { dagId: e.key.dagId, runId: e.key.runId, taskId, now },
          );
        }
        return { state: e.state };
      };
      // One end that writes nothing else is one statement, atomic by itself (a worker's usual end: on
      // PostgreSQL BEGIN and COMMIT would be two more round trips).
      const [only] = ends;
      if (ends.length === 1 && only!.xcoms.length === 0 && only!.skip.length === 0) return [one(only!)];
      return sql.tx(() => ends.map(one));
    },
    scheduleDueRetries(now, scope) {
      return sql
        .all<{ dag_id: string; run_id: string; task_id: string; map_index: number }>(
          `UPDATE task_instance AS ti SET state = 'scheduled' WHERE ti.state = 'up_for_retry' AND ti.next_retry_at <= ? AND ${scopeWhere(scope)}
           RETURNING dag_id, run_id, task_id, map_index`,
          now, ...scopeParams(scope),
        )
        .map((r) => ({ dagId: r.dag_id, runId: r.run_id, taskId: r.task_id, mapIndex: r.map_index }));
    },
    nextRetryDue(scope) {
      return sql.get<{ t: string | null }>(
        `SELECT MIN(ti.next_retry_at) AS t FROM task_instance ti WHERE ti.state = 'up_for_retry' AND ${scopeWhere(scope)}`,
        ...scopeParams(scope),
      )?.t ?? undefined;
    },
    resetQueued(scope) {
      return sql
        .all<{ dag_id: string; run_id: string; task_id: string; map_index: number }>(
          `UPDATE task_instance AS ti SET state = 'scheduled', try_number = try_number - 1, queued_when = NULL, queued_by = NULL
           WHERE ti.state = 'queued' AND ${scopeWhere(scope)} RETURNING dag_id, run_id, task_id, map_index`,
          ...scopeParams(scope),
        )
        .map((r) => ({ dagId: r.dag_id, runId: r.run_id, taskId: r.task_id, mapIndex: r.map_index }));
    },
    liveAttempts(scope) {
      return sql.all<TiDb>(`SELECT * FROM task_instance ti WHERE ti.state IN ('running', 'restarting') AND ${scopeWhere(scope)}`, ...scopeParams(scope)).map(toTi);
    },
    clearTis(specs: readonly ClearSpec[], now) {
      return sql.tx(() => {
        const cleared: TaskInstanceRow[] = [];
        const runs = new Map<string, RunKey>();
        for (const s of specs) {
          const cur = getTi(s.key);
          if (!cur || cur.state === 'restarting') continue;
          // A running attempt is ended by its worker first (restarting, then none); a queued one is never started.
          const to = cur.state === 'running' ? 'restarting' : null;
          assertTransition(cur.state, to, what(s.key));
          const n = sql.run(
            `UPDATE task_instance SET state = @to, max_tries = try_number + @retries, next_retry_at = NULL,
               pool = COALESCE(@pool, pool), pool_slots = COALESCE(@poolSlots, pool_slots), priority_weight = COALESCE(@weight, priority_weight)
             WHERE ${KEY} AND ${STATE} IS NOT DISTINCT FROM @from`,
            { ...kp(s.key), to, retries: s.retries, from: cur.state, pool: s.pool?.pool ?? null, poolSlots: s.pool?.poolSlots ?? null, weight: s.pool?.priorityWeight ?? null },
          );
          if (n !== 1) throw illegal(s.key, to);
          deleteXcoms(s.key);
          cleared.push(getTi(s.key)!);
          runs.set(`${s.key.dagId}\u0000${s.key.runId}`, { dagId: s.key.dagId, runId: s.key.runId });
        }
        for (const r of runs.values()) {
          sql.run(
            `UPDATE dag_run SET state = 'queued', start_date = NULL, end_date = NULL, last_scheduling_decision = NULL, queued_at = ?
             WHERE dag_id = ? AND run_id = ?`,
            now, r.dagId, r.runId,
          );
        }
        return cleared;
      });
    },
    markTi(k, state, now) {
      return sql.tx(() => {
        const cur = getTi(k);
        if (!cur) throw new IllegalTransitionError(what(k), 'missing', state);
        assertTransition(cur.state, state, what(k));
        const n = sql.run(
          `UPDATE task_instance SET state = @state, start_date = COALESCE(start_date, @now), end_date = @now, duration = ${DURATION}
           WHERE ${KEY} AND ${STATE} IS NOT DISTINCT FROM @from`,
          { ...kp(k), state, from: cur.state, now },
        );
        if (n !== 1) throw illegal(k, state);
        return getTi(k)!;
      });
    },
    getXcom(k, key) {
      const r = sql.get<{ value: string }>(
        'SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND key = ?',
        k.dagId, k.runId, k.taskId, k.mapIndex ?? -1, key,
      );
      return r ? parseJson(r.value, null) : undefined;
    },
    mappedXcoms(k, key) {
      return sql
        .all<{ value: string }>(
          'SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index >= 0 AND key = ? ORDER BY map_index',
          k.dagId, k.runId, k.taskId, key,
        )
        .map((r) => parseJson(r.value, null));
    },
    putXcom,
  };
}
