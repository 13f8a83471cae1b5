/** The scheduler lock: one row in the database naming the process that drives it (pid, host, heartbeat). */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from './clock.js';
import { SchedulerBusyError } from './errors.js';
import { isPidAlive } from './zombies.js';
import type { LockHolder } from './store/rows.js';
import type { Store } from './store/store.js';

/** Seconds without a heartbeat after which a holder on another host counts as dead (Airflow's health check: 30). */
export const LOCK_STALE_S = 30;

export type LockKind = 'scheduler' | 'run driver (dagctl trigger --wait)' | 'backfill';

/** Whether a process with a heartbeat is alive: on this host, by its pid; elsewhere, by a heartbeat under LOCK_STALE_S. */
export function holderAlive(h: Pick<LockHolder, 'pid' | 'hostname' | 'heartbeat_at'>, now: Date, staleS = LOCK_STALE_S): boolean {
  if (h.hostname === hostname()) return isPidAlive(h.pid);
  return now.getTime() - new Date(h.heartbeat_at).getTime() < staleS * 1000;
}

export class SchedulerLock {
  readonly token = randomUUID();
  #held = false;
  constructor(private readonly store: Store, private readonly clock: Clock, readonly kind: LockKind) {}

  /** Takes the lock or throws SchedulerBusyError; returns the previous (dead) holder, if any. */
  acquire(): LockHolder | undefined {
    const r = this.tryAcquire();
    if (!r.ok) throw new SchedulerBusyError({ pid: r.holder.pid, hostname: r.holder.hostname, kind: r.holder.kind, heartbeat: r.holder.heartbeat_at });
    return r.previous;
  }
  tryAcquire(): { ok: true; previous: LockHolder | undefined } | { ok: false; holder: LockHolder } {
    const now = this.clock.now();
    const r = this.store.acquireLock({ token: this.token, kind: this.kind, pid: process.pid, hostname: hostname() }, now.toISOString(), (h) =>
      holderAlive(h, now),
    );
    if (r.ok) this.#held = true;
    return r;
  }
  /** Refreshes the heartbeat; throws if another process took the lock meanwhile. */
  heartbeat(): void {
    if (!this.#held) return;
    if (!this.store.heartbeatLock(this.token, this.clock.now().toISOString())) {
      this.#held = false;
      const h = this.store.lockHolder();
      throw new SchedulerBusyError({ pid: h?.pid ?? 0, hostname: h?.hostname ?? '?', kind: h?.kind ?? '?', heartbeat: h?.heartbeat_at ?? '?' });
    }
  }
  release(): void {
    if (this.#held) this.store.releaseLock(this.token);
    this.#held = false;
  }
}
