/**
 * Which `dagctl scheduler` and `dagctl worker` processes are alive, from their heartbeat rows (Airflow's
 * `jobs check`): on this host by their pid, elsewhere by a heartbeat younger than the scheduler health check threshold (default LOCK_STALE_S).
 */
import { holderAlive } from './lock.js';
import type { Store } from './store/store.js';

/** Airflow's name for a scheduler's row, and ours for a `dagctl worker` of the job queue. */
export const JOB_TYPES = ['SchedulerJob', 'WorkerJob'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export interface AliveJob {
  id: string;
  hostname: string;
  pid: number;
  heartbeat_at: string;
}

/** Alive processes of one type, latest heartbeat first; `hostname` keeps those of one host. */
export function aliveJobs(store: Store, type: JobType, now: Date, o: { hostname?: string; limit?: number; schedulerHealthCheckS?: number } = {}): AliveJob[] {
  const rows: AliveJob[] = type === 'SchedulerJob' ? store.listSchedulers() : store.listQueueWorkers();
  return rows
    .filter((j) => (o.hostname === undefined || j.hostname === o.hostname) && holderAlive(j, now, o.schedulerHealthCheckS))
    .sort((a, b) => b.heartbeat_at.localeCompare(a.heartbeat_at))
    .slice(0, o.limit ?? Infinity);
}
