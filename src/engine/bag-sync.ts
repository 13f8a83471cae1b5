/** Recording a loaded DAG bag in the store. */
import type { DagBag } from './dagbag.js';
import { describeSchedule, nextDagRunInfo } from './schedule.js';
import type { Store } from './store/store.js';

/** Slots of a pool created because a task names it (`dagctl pools set NAME N` changes it). */
export const NEW_POOL_SLOTS = 1;

/**
 * Records the bag's DAGs (new ones paused unless isPausedUponCreation is false), import errors, next runs,
 * and creates the pools their tasks name that do not exist yet (returned). Airflow leaves such tasks
 * unscheduled; a pool with one slot keeps the limit the author asked for and lets the DAG run.
 */
export function syncBag(store: Store, bag: DagBag, now: Date): string[] {
  store.syncDags(
    [...bag.dags.values()].map((d) => ({
      dag_id: d.dagId,
      fileloc: d.fileloc,
      owners: [...new Set(d.tasks.map((t) => t.owner))],
      schedule_interval: describeSchedule(d.schedule),
      tags: d.tags,
      description: d.description ?? null,
      max_active_runs: d.maxActiveRuns,
      max_active_tasks: d.maxActiveTasks,
      is_paused_upon_creation: d.isPausedUponCreation,
    })),
    now.toISOString(),
  );
  store.replaceImportErrors([...bag.errors], now.toISOString());
  const named = [...new Set([...bag.dags.values()].flatMap((d) => d.tasks.map((t) => t.pool)))];
  const created = store.createMissingPools(named, NEW_POOL_SLOTS, 'created because a task names it; resize with `dagctl pools set`');
  for (const d of bag.dags.values()) {
    const last = store.latestScheduledRun(d.dagId);
    const info = nextDagRunInfo(d.scheduleInput, last?.data_interval_start ? new Date(last.data_interval_start) : undefined, now);
    store.setNextDagRun(d.dagId, {
      next_dagrun: info?.logicalDate.toISOString() ?? null,
      next_dagrun_data_interval_start: info?.start.toISOString() ?? null,
      next_dagrun_data_interval_end: info?.end.toISOString() ?? null,
      next_dagrun_create_after: info?.runAfter.toISOString() ?? null,
    });
  }
  return created;
}
