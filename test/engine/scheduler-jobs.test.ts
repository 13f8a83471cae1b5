// Schedulers' heartbeat rows (Airflow's SchedulerJob): registered by a running scheduler, removed at its stop,
// and those of dead schedulers cleaned up and adopted. Real store (SQLite here, PostgreSQL in that project).
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/engine/clock.js';
import { createRun } from '../../src/engine/dagrun.js';
import { DAG } from '../../src/engine/index.js';
import { aliveJobs } from '../../src/engine/jobs.js';
import { SchedulerJob } from '../../src/engine/scheduler-job.js';
import { openStore } from '../../src/engine/store/open.js';
import type { Store } from '../../src/engine/store/store.js';
import { EmptyOperator } from '../../src/operators/empty.js';
import { cleanup, freshDatabase, harness, silent, tempDir } from './helpers.js';

const NOW = '2026-12-03T10:00:00.000Z';
/** A pid that no process has (above the kernel's pid_max). */
const DEAD_PID = 2 ** 22 + 1;

let store: Store | undefined;
function open(): Store {
  freshDatabase();
  store = openStore(tempDir(), NOW);
  return store;
}
afterEach(() => {
  store?.close();
  store = undefined;
  cleanup();
});

const row = (id: string, o: { hostname?: string; pid?: number; heartbeat_at?: string }) => ({
  id, hostname: o.hostname ?? hostname(), pid: o.pid ?? process.pid, executor: 'queue', started_at: '2026-12-03T09:00:00.000Z', heartbeat: o.heartbeat_at ?? NOW,
});
function put(s: Store, r: ReturnType<typeof row>): void {
  s.registerScheduler(r, r.heartbeat);
}

describe('scheduler rows', () => {
  it('a scheduler registers itself, heartbeats, and removes its row; rows of gone schedulers are removed first', () => {
    const s = open();
    put(s, row('dead-here', { pid: DEAD_PID })); // killed on this host: its pid is gone
    put(s, row('stale-elsewhere', { hostname: 'other-host', heartbeat_at: '2026-12-03T09:59:00.000Z' })); // 60 s without a heartbeat
    put(s, row('fresh-elsewhere', { hostname: 'other-host', heartbeat_at: '2026-12-03T09:59:50.000Z' }));
    const clock = new FakeClock(NOW);
    const job = new SchedulerJob(s, clock, silent, 'me', 'local');
    job.register();
    expect(s.listSchedulers().map((r) => r.id).sort()).toEqual(['fresh-elsewhere', 'me']);
    expect(s.listSchedulers().find((r) => r.id === 'me')).toMatchObject({ pid: process.pid, hostname: hostname(), executor: 'local', heartbeat_at: NOW });

    clock.set(new Date('2026-12-03T10:00:05.000Z'));
    job.heartbeat();
    expect(s.listSchedulers().find((r) => r.id === 'me')?.heartbeat_at).toBe('2026-12-03T10:00:05.000Z');
    expect(aliveJobs(s, 'SchedulerJob', clock.now()).map((j) => j.id).sort()).toEqual(['fresh-elsewhere', 'me']);
    expect(aliveJobs(s, 'SchedulerJob', clock.now(), { hostname: hostname() }).map((j) => j.id)).toEqual(['me']);

    // Taken for dead by another scheduler while it stalled: the next heartbeat writes the row again.
    s.removeScheduler('me');
    job.heartbeat();
    expect(s.listSchedulers().map((r) => r.id)).toContain('me');
    job.remove();
    expect(s.listSchedulers().map((r) => r.id)).toEqual(['fresh-elsewhere']);
  });

  it('reclaims the rows of schedulers whose heartbeat is stale; their queued attempts are orphans until they end', () => {
    const dag = new DAG({ dagId: 'd', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 't' }));
    const h = harness([dag], { now: NOW });
    const s = h.store;
    put(s, row('alive', { heartbeat_at: '2026-12-03T09:59:59.000Z' }));
    put(s, row('dead', { hostname: 'other-host', heartbeat_at: '2026-12-03T09:58:00.000Z' }));
    const run = createRun(s, dag, { runType: 'manual', logicalDate: new Date(NOW), dataIntervalStart: new Date(NOW), dataIntervalEnd: new Date(NOW), conf: {} }, h.clock.now());
    const key = { dagId: 'd', runId: run.run_id, taskId: 't', mapIndex: -1 };
    s.startDagRun(key, NOW);
    s.applyDecisions(key, [{ taskId: 't', from: null, to: 'scheduled' }], NOW);
    s.queueTis([key], NOW, 'dead');
    expect(s.hasOrphanedAttempts()).toBe(false); // its scheduler still has a row

    expect(s.reclaimDeadSchedulers('2026-12-03T09:59:30.000Z').map((r) => r.id)).toEqual(['dead']);
    expect(s.listSchedulers().map((r) => r.id)).toEqual(['alive']);
    expect(s.hasOrphanedAttempts()).toBe(true);
    s.startAttempt({ key, tryNumber: 1, queuedBy: 'dead' }, { pid: 1, hostname: 'other-host' }, NOW);
    expect(s.hasOrphanedAttempts()).toBe(true);
    s.endAttempts([{ key, tryNumber: 1, state: 'success', nextRetryAt: null, xcoms: [], skip: [] }], NOW);
    expect(s.hasOrphanedAttempts()).toBe(false);
  });
});
