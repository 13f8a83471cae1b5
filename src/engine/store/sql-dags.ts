/** DAG rows, import errors and the scheduler lock. */
import type { DagRow, ImportErrorRow, LockHolder } from './rows.js';
import type { Sql } from './sql.js';
import type { DagSync, NextDagRun, Store } from './store.js';

type DagDb = Omit<DagRow, 'owners' | 'tags' | 'is_paused' | 'is_active'> & { owners: string; tags: string; is_paused: number; is_active: number };

function toDag(r: DagDb): DagRow {
  return { ...r, owners: JSON.parse(r.owners) as string[], tags: JSON.parse(r.tags) as string[], is_paused: r.is_paused === 1, is_active: r.is_active === 1 };
}

export type DagOps = Pick<
  Store,
  | 'syncDags' | 'listDags' | 'getDag' | 'setPaused' | 'setNextDagRun' | 'replaceImportErrors' | 'listImportErrors'
  | 'acquireLock' | 'heartbeatLock' | 'releaseLock' | 'lockHolder'
>;

export function dagOps(sql: Sql): DagOps {
  const getDag = (dagId: string): DagRow | undefined => {
    const r = sql.get<DagDb>('SELECT * FROM dag WHERE dag_id = ?', dagId);
    return r && toDag(r);
  };
  const lockHolder = (): LockHolder | undefined => sql.get<LockHolder>('SELECT token, kind, pid, hostname, started_at, heartbeat_at FROM scheduler_lock WHERE id = 1');
  return {
    syncDags(dags: DagSync[], now: string) {
      sql.tx(() => {
        sql.run('UPDATE dag SET is_active = 0');
        for (const d of dags) {
          sql.run(
            `INSERT INTO dag (dag_id, fileloc, owners, is_paused, is_active, schedule_interval, tags, description, max_active_runs, max_active_tasks, last_parsed_time)
             VALUES (@dag_id, @fileloc, @owners, @is_paused, 1, @schedule_interval, @tags, @description, @max_active_runs, @max_active_tasks, @now)
             ON CONFLICT (dag_id) DO UPDATE SET fileloc = excluded.fileloc, owners = excluded.owners, is_active = 1,
               schedule_interval = excluded.schedule_interval, tags = excluded.tags, description = excluded.description,
               max_active_runs = excluded.max_active_runs, max_active_tasks = excluded.max_active_tasks, last_parsed_time = excluded.last_parsed_time`,
            { ...d, owners: JSON.stringify(d.owners), tags: JSON.stringify(d.tags), is_paused: d.is_paused_upon_creation ? 1 : 0, now },
          );
        }
      });
    },
    listDags(o = {}) {
      const rows = sql.all<DagDb>(`SELECT * FROM dag ${o.includeInactive ? '' : 'WHERE is_active = 1'} ORDER BY dag_id`);
      return rows.map(toDag);
    },
    getDag,
    setPaused(dagId: string, paused: boolean) {
      sql.run('UPDATE dag SET is_paused = ? WHERE dag_id = ?', paused ? 1 : 0, dagId);
      return getDag(dagId);
    },
    setNextDagRun(dagId: string, n: NextDagRun) {
      sql.run(
        `UPDATE dag SET next_dagrun = @next_dagrun, next_dagrun_data_interval_start = @next_dagrun_data_interval_start,
           next_dagrun_data_interval_end = @next_dagrun_data_interval_end, next_dagrun_create_after = @next_dagrun_create_after WHERE dag_id = @dagId`,
        { ...n, dagId },
      );
    },
    replaceImportErrors(errors, now) {
      sql.tx(() => {
        sql.run('DELETE FROM import_error');
        for (const e of errors) {
          sql.run(
            `INSERT INTO import_error (filename, stack_trace, timestamp) VALUES (?, ?, ?)
             ON CONFLICT (filename) DO UPDATE SET stack_trace = excluded.stack_trace, timestamp = excluded.timestamp`,
            e.filename, e.stack_trace, now,
          );
        }
      });
    },
    listImportErrors() {
      return sql.all<ImportErrorRow>('SELECT filename, stack_trace, timestamp FROM import_error ORDER BY filename');
    },
    acquireLock(me, now, isHolderAlive) {
      return sql.tx(() => {
        const holder = lockHolder();
        if (holder && holder.token !== me.token && isHolderAlive(holder)) return { ok: false as const, holder };
        sql.run(
          `INSERT INTO scheduler_lock (id, token, kind, pid, hostname, started_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET token = excluded.token, kind = excluded.kind, pid = excluded.pid, hostname = excluded.hostname,
             started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
          me.token, me.kind, me.pid, me.hostname, now, now,
        );
        return { ok: true as const, previous: holder && holder.token !== me.token ? holder : undefined };
      });
    },
    heartbeatLock(token, now) {
      return sql.run('UPDATE scheduler_lock SET heartbeat_at = ? WHERE id = 1 AND token = ?', now, token) === 1;
    },
    releaseLock(token) {
      sql.run('DELETE FROM scheduler_lock WHERE id = 1 AND token = ?', token);
    },
    lockHolder,
  };
}
