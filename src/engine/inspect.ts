/** Read-only questions about task instances: which ones a clear selects, and why one is not running. */
import type { DAG } from './dag.js';
import { explainTi } from './evaluate.js';
import { EngineError } from './errors.js';
import type { DagRunRow, TaskInstanceRow } from './store/rows.js';
import type { Store } from './store/store.js';

export interface ClearSelection {
  taskRegex?: string;
  upstream?: boolean;
  downstream?: boolean;
  onlyFailed?: boolean;
  runId?: string;
  start?: Date;
  end?: Date;
}

/** Airflow's `tasks clear` selection: regex-matched tasks (+ relatives) in the runs in range. */
export function selectForClear(store: Store, dag: DAG, o: ClearSelection): TaskInstanceRow[] {
  let re: RegExp | undefined;
  try {
    re = o.taskRegex ? new RegExp(o.taskRegex) : undefined;
  } catch (cause) {
    throw new EngineError('invalid_regex', `task regex '${o.taskRegex}' is not a valid regular expression`, { cause, exitCode: 2 });
  }
  const tasks = new Set(dag.taskIds.filter((id) => !re || re.test(id)));
  for (const id of [...tasks]) {
    if (o.upstream) for (const u of dag.upstreamOf(id)) tasks.add(u);
    if (o.downstream) for (const d of dag.downstreamOf(id)) tasks.add(d);
  }
  const runs = o.runId
    ? [store.getDagRun({ dagId: dag.dagId, runId: o.runId })!]
    : store.listDagRuns({ dagId: dag.dagId, order: 'asc' }).filter((r) => {
        const d = new Date(r.logical_date);
        return (!o.start || d >= o.start) && (!o.end || d <= o.end);
      });
  const out: TaskInstanceRow[] = [];
  for (const run of runs) {
    for (const ti of store.listTis({ dagId: dag.dagId, runId: run.run_id })) {
      if (!tasks.has(ti.task_id)) continue;
      if (o.onlyFailed && ti.state !== 'failed' && ti.state !== 'upstream_failed') continue;
      out.push(ti);
    }
  }
  return out;
}

/** Human-readable reasons a task instance is not running now (Airflow's `tasks failed-deps`); [] if it could. */
export function failedDepsOf(store: Store, dag: DAG, run: DagRunRow, ti: TaskInstanceRow, now: Date): string[] {
  const out: string[] = [];
  if (store.getDag(dag.dagId)?.is_paused) out.push(`Task's DAG '${dag.dagId}' is paused.`);
  if (run.state !== 'running') out.push(`Task instance's dagrun was not in the 'running' state but in the state '${run.state}'.`);
  switch (ti.state) {
    case null: {
      const d = explainTi(store, dag, { dagId: dag.dagId, runId: run.run_id }, ti.task_id);
      if (d.kind !== 'run') out.push(`Trigger Rule: ${d.reason}`);
      break;
    }
    case 'up_for_retry':
      if (ti.next_retry_at && new Date(ti.next_retry_at) > now) {
        out.push(`Task is not ready for retry yet but will be retried automatically. Current date is ${now.toISOString()} and task will be retried at ${ti.next_retry_at}.`);
      }
      break;
    case 'scheduled': {
      // Airflow's PoolSlotsAvailableDep.
      const pool = store.getPool(ti.pool);
      if (!pool) out.push(`Tasks using non-existent pool '${ti.pool}' will not be scheduled (create it with \`dagctl pools set ${ti.pool} N\`).`);
      else {
        const open = pool.slots - (store.inFlightCounts().slotsPerPool.get(ti.pool) ?? 0);
        if (open < ti.pool_slots) out.push(`Not scheduling since there are ${open} open slots in pool ${ti.pool} and require ${ti.pool_slots} pool slots`);
      }
      break;
    }
    case 'queued':
      break;
    case 'running':
      out.push('Task is already running.');
      break;
    case 'restarting':
      out.push('Task was cleared while it ran: it runs again as a new try once its current attempt has been stopped.');
      break;
    default:
      out.push(`Task is in the '${ti.state}' state which is not a valid state for execution. The task must be cleared in order to be run.`);
  }
  return out;
}
