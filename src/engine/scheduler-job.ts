/**
 * A running `dagctl scheduler`'s row (Airflow's SchedulerJob): registered at start, heartbeat on every tick,
 * removed at a clean stop. A row whose heartbeat stopped is a dead scheduler's: with the job queue another
 * scheduler deletes it and adopts what it had queued (scheduler.ts); `dagctl jobs check` and /health read them (jobs.ts).
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { holderAlive } from './lock.js';
import type { SchedulerJobRow } from './store/rows.js';
import type { Store } from './store/store.js';

export class SchedulerJob {
  readonly #row: Omit<SchedulerJobRow, 'heartbeat_at'>;
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    id: string,
    executor: string,
    /** Seconds without a heartbeat before a scheduler on another host counts as gone (default LOCK_STALE_S). */
    private readonly staleS?: number,
  ) {
    this.#row = { id, hostname: hostname(), pid: process.pid, executor, started_at: clock.now().toISOString() };
  }

  /** Adds this scheduler's row, first removing those of schedulers that are gone (killed without a clean stop). */
  register(): void {
    const now = this.clock.now();
    for (const s of this.store.listSchedulers()) {
      if (s.id === this.#row.id || holderAlive(s, now, this.staleS)) continue;
      this.store.removeScheduler(s.id);
      this.log.warn({ id: s.id, pid: s.pid, hostname: s.hostname, heartbeat: s.heartbeat_at }, 'removed the row of a scheduler that is gone');
    }
    this.store.registerScheduler(this.#row, now.toISOString());
  }
  /** A failed write skips one heartbeat (the threshold spans several); a row taken for dead is written again. */
  heartbeat(): void {
    try {
      if (this.store.heartbeatScheduler(this.#row.id, this.clock.now().toISOString())) return;
      this.log.warn({ id: this.#row.id }, 'this scheduler was taken for dead by another one (its heartbeat was late); registering again');
      this.store.registerScheduler(this.#row, this.clock.now().toISOString());
    } catch (err) {
      this.log.error({ err }, 'could not record the scheduler heartbeat; trying again at the next tick');
    }
  }
  remove(): void {
    try {
      this.store.removeScheduler(this.#row.id);
    } catch (err) {
      this.log.warn({ err }, 'could not remove this scheduler\'s row; the others will once its heartbeat is stale');
    }
  }
}
