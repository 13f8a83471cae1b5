/** Which scheduled runs are due for a DAG, and which queued runs may start (Airflow's DagModel.next_dagrun*). */
import type { DAG } from './dag.js';
import { createRun } from './dagrun.js';
import { nextDagRunInfo } from './schedule.js';
import type { DagRunRow } from './store/rows.js';
import type { Store } from './store/store.js';

/**
 * Creates the DAG's due scheduled runs (at most `limit` per call), keeping its next_dagrun fields current.
 * Creation stops while queued + running runs reach maxActiveRuns (next_dagrun_create_after is then NULL).
 * Returns the runs created and, when the next one is not due yet, when it will be.
 */
export function createDueRuns(store: Store, dag: DAG, now: Date, limit = 10): { created: DagRunRow[]; wakeAt: Date | undefined } {
  const created: DagRunRow[] = [];
  for (let i = 0; i < limit; i++) {
    const last = store.latestScheduledRun(dag.dagId);
    const info = nextDagRunInfo(dag.scheduleInput, last?.data_interval_start ? new Date(last.data_interval_start) : undefined, now);
    const full = store.countRuns(dag.dagId, 'running') + store.countRuns(dag.dagId, 'queued') >= dag.maxActiveRuns;
    store.setNextDagRun(dag.dagId, {
      next_dagrun: info?.logicalDate.toISOString() ?? null,
      next_dagrun_data_interval_start: info?.start.toISOString() ?? null,
      next_dagrun_data_interval_end: info?.end.toISOString() ?? null,
      next_dagrun_create_after: info && !full ? info.runAfter.toISOString() : null,
    });
    if (!info || full) break;
    if (info.runAfter > now) return { created, wakeAt: info.runAfter };
    if (store.getDagRunByLogicalDate(dag.dagId, info.logicalDate.toISOString())) break; // a manual run holds that date
    created.push(createRun(store, dag, { runType: 'scheduled', logicalDate: info.logicalDate, dataIntervalStart: info.start, dataIntervalEnd: info.end }, now));
  }
  return { created, wakeAt: undefined };
}

/** Queued runs that may start now: oldest logical date first, within maxActiveRuns; none while paused. */
export function runsToStart(store: Store, dag: DAG): DagRunRow[] {
  if (store.getDag(dag.dagId)?.is_paused !== false) return []; // a run triggered on a paused DAG stays queued
  const queued = store.listDagRuns({ dagId: dag.dagId, state: 'queued', order: 'asc' }).filter((x) => x.run_type !== 'backfill');
  if (queued.length === 0) return [];
  return queued.slice(0, Math.max(0, dag.maxActiveRuns - store.countRuns(dag.dagId, 'running')));
}
