// The queue executor (PostgreSQL only): what it tells the scheduler's log about queues nobody serves.
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/engine/clock.js';
import { packAttempts, QueueExecutor } from '../../src/engine/executor/queue.js';
import { migrateQueue } from '../../src/engine/executor/queue-worker.js';
import type { AttemptJob } from '../../src/engine/executor/types.js';
import { openStoreAt } from '../../src/engine/store/open.js';
import { endedNotices, parseEnded } from '../../src/engine/store/sql-scale-out.js';
import { cleanup, freshDatabase, silent } from './helpers.js';

const onPostgres = process.env.DAGCTL_TEST_STORE === 'postgres';
afterEach(cleanup);

const job = (taskId: string, queue: string): AttemptJob & { queue: string } => ({
  queue, dagId: 'd', runId: 'r', taskId, mapIndex: -1, tryNumber: 1, maxTries: 0, fileloc: '/dags/d.ts', logicalDate: '2026-12-03T00:00:00.000Z',
  dataIntervalStart: '2026-12-03T00:00:00.000Z', dataIntervalEnd: '2026-12-03T00:00:00.000Z', conf: {}, runType: 'manual', home: '/home', database: 'postgres://x',
  logFile: '/home/log', executionTimeout: undefined, queuedBy: 's', queuedAt: '2026-12-03T00:00:00.000Z',
  retryPolicy: { retries: 0, retryDelay: 300, retryExponentialBackoff: false, maxRetryDelay: undefined }, heartbeatS: 5,
});

/** A fresh database with the job queue's schema, a store on it, the warnings logged, and executors to open on it. */
async function setup() {
  freshDatabase();
  const url = process.env.DAGCTL_DATABASE_URL!;
  const store = openStoreAt(url, new Date().toISOString());
  const lines: Array<{ msg: string; queue?: string }> = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  await migrateQueue(url, silent);
  const open = (o: { clock?: FakeClock; unservedGraceMs: number }) =>
    QueueExecutor.open({ store, url, logger, perStep: 16, queueOf: (j) => (j as AttemptJob & { queue: string }).queue, servedCheckMs: 0, ...o });
  return { store, lines, open };
}

describe('the notice an attempt end sends its scheduler', () => {
  it('names the attempt, its state and skips; one too long for NOTIFY is empty (listeners then read the store)', () => {
    const end = { key: { dagId: 'd', runId: 'r', taskId: 'branch', mapIndex: -1 }, tryNumber: 2, state: 'success' as const, skip: ['a', 'b'] };
    expect(endedNotices([end]).map(parseEnded)).toEqual([[end]]);
    const wide = { ...end, skip: Array.from({ length: 1000 }, (_, i) => `skipped_task_${i}`) };
    expect(endedNotices([wide])).toEqual(['']);
    expect(parseEnded('')).toBeUndefined();
  });

  it("packs a worker's ends into as few notices as fit, in order; a cleared or too wide one makes a single empty notice", () => {
    const end = (i: number) => ({ key: { dagId: 'fan_out', runId: 'manual__2026-12-03T18:00:00+00:00', taskId: `t_${i}`, mapIndex: -1 }, tryNumber: 1, state: 'success' as const, skip: [] });
    const ends = Array.from({ length: 200 }, (_, i) => end(i));
    const notices = endedNotices(ends);
    expect(notices.length).toBeGreaterThan(1);
    expect(notices.every((n) => n.length <= 7_500)).toBe(true);
    expect(notices.flatMap((n) => parseEnded(n)!)).toEqual(ends);

    const cleared = { ...end(200), state: null };
    const wide = { ...end(201), skip: Array.from({ length: 1000 }, (_, i) => `skipped_task_${i}`) };
    expect(endedNotices([end(0), cleared, wide, end(1)])).toEqual([JSON.stringify([[...Object.values(end(0).key), 1, 'success', []], [...Object.values(end(1).key), 1, 'success', []]]), '']);
    expect(endedNotices([])).toEqual([]);
  });
});

describe.skipIf(!onPostgres)('queue executor', () => {
  it('warns once when attempts go to a queue no live dagctl worker serves, and again once it is unserved after being served', async () => {
    const { store, lines, open } = await setup();
    const ex = await open({ unservedGraceMs: 0 });
    const warned = (): Array<string | undefined> => lines.map((l) => l.queue);
    try {
      const now = new Date().toISOString();
      store.registerQueueWorker({ id: 'w1', hostname: hostname(), pid: process.pid, queues: 'default', concurrency: 1, started_at: now }, now);
      store.transaction(() => ex.submit([job('a', 'default'), job('b', 'gpu')]));
      await new Promise((r) => setImmediate(r)); // pino writes asynchronously
      expect(warned()).toEqual(['gpu']);
      expect(lines[0]!.msg).toContain('`dagctl worker --queues gpu`');
      store.transaction(() => ex.submit([job('c', 'gpu')]));
      await new Promise((r) => setImmediate(r));
      expect(warned()).toEqual(['gpu']); // once

      store.registerQueueWorker({ id: 'w2', hostname: hostname(), pid: process.pid, queues: 'gpu', concurrency: 1, started_at: now }, now);
      store.transaction(() => ex.submit([job('d', 'gpu')]));
      store.removeQueueWorker('w2');
      store.transaction(() => ex.submit([job('e', 'gpu')]));
      await new Promise((r) => setImmediate(r));
      expect(warned()).toEqual(['gpu', 'gpu']);
    } finally {
      await ex.close();
      store.close();
    }
  });

  it('waits for workers starting with the scheduler: a queue is reported once it has stayed unserved for the grace period, even if nothing more is queued', async () => {
    const { store, lines, open } = await setup();
    const clock = new FakeClock(new Date());
    const ex = await open({ clock, unservedGraceMs: 10_000 });
    const at = () => clock.now().toISOString();
    try {
      store.transaction(() => ex.submit([job('a', 'default')])); // its worker has not registered yet
      clock.advance(4);
      store.registerQueueWorker({ id: 'w1', hostname: hostname(), pid: process.pid, queues: 'default', concurrency: 1, started_at: at() }, at());
      clock.advance(8);
      store.transaction(() => ex.submit([job('b', 'default'), job('c', 'gpu')]));
      clock.advance(9);
      store.transaction(() => ex.submit([job('d', 'gpu')]));
      await new Promise((r) => setImmediate(r));
      expect(lines).toEqual([]); // default is served; gpu has waited 9 s of 10
      clock.advance(1);
      store.registerQueueWorker({ id: 'w1', hostname: hostname(), pid: process.pid, queues: 'default', concurrency: 1, started_at: at() }, at());
      store.transaction(() => ex.submit([job('e', 'gpu')]));
      await new Promise((r) => setImmediate(r));
      expect(lines.map((l) => l.queue)).toEqual(['gpu']);
    } finally {
      await ex.close();
    }
    // Nothing more queued after the first gpu attempt: the executor looks again once the grace period is over.
    lines.length = 0;
    const quiet = await open({ unservedGraceMs: 50 });
    try {
      store.transaction(() => quiet.submit([job('f', 'gpu')]));
      expect(lines).toEqual([]);
      await vi.waitFor(() => expect(lines.map((l) => l.queue)).toEqual(['gpu']), { timeout: 5000, interval: 20 });
    } finally {
      await quiet.close();
      store.close();
    }
  });

  it('hears of each end announced together with others, and ignores those of attempts it did not queue', async () => {
    const { store, open } = await setup();
    const ex = await open({ unservedGraceMs: 60_000 });
    const heard: string[] = [];
    ex.onEvent((e) => e.type === 'ended' && heard.push(`${e.job.taskId}:${e.state}`));
    try {
      const jobs = Array.from({ length: 300 }, (_, i) => job(`t_${i}`, 'default')); // more than one notice can hold
      store.transaction(() => ex.submit(jobs));
      const ended = (taskId: string, state: 'success' | 'failed', tryNumber = 1) => ({ key: { dagId: 'd', runId: 'r', taskId, mapIndex: -1 }, tryNumber, state, skip: [] });
      const ends = [...jobs.map((j, i) => ended(j.taskId, i % 2 ? 'failed' : 'success')), ended('not_mine', 'success'), ended('t_0', 'success', 2)];
      store.announceEnds(ends);
      const want = jobs.map((j, i) => `${j.taskId}:${i % 2 ? 'failed' : 'success'}`);
      await vi.waitFor(() => expect(heard).toEqual(want), { timeout: 5000, interval: 10 });
    } finally {
      await ex.close();
      store.close();
    }
  });

  it("packs a step's attempts into about one job per live worker process once they outnumber them, and puts a dead worker's jobs back in the queue", async () => {
    expect(packAttempts([1, 2], 3)).toEqual([[1], [2]]);
    expect(packAttempts([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(packAttempts([1, 2, 3], 0)).toEqual([[1], [2], [3]]); // no worker known yet: one job each

    const { store, open } = await setup();
    const ex = await open({ unservedGraceMs: 0 });
    const db = new pg.Client({ connectionString: process.env.DAGCTL_DATABASE_URL });
    await db.connect();
    try {
      const now = new Date().toISOString();
      store.registerQueueWorker({ id: 'w1', hostname: hostname(), pid: process.pid, queues: 'default', concurrency: 3, started_at: now }, now);
      store.transaction(() => ex.submit(['a', 'b'].map((t) => job(t, 'default'))));
      store.transaction(() => ex.submit(['c', 'd', 'e', 'f', 'g', 'h', 'i'].map((t) => job(t, 'default'))));
      // The payloads are in graphile-worker's own table (its public view leaves them out).
      const { rows } = await db.query<{ tasks: string[] }>(
        `SELECT ARRAY(SELECT a->>'taskId' FROM json_array_elements(payload) AS a) AS tasks FROM graphile_worker._private_jobs ORDER BY id`,
      );
      expect(rows.map((r) => r.tasks)).toEqual([['a'], ['b'], ['c', 'd', 'e'], ['f', 'g', 'h'], ['i']]);

      // w1 took three jobs (as graphile-worker's fetch marks them) and its heartbeat stopped: a minute later it is dead.
      await db.query(`UPDATE graphile_worker._private_jobs SET locked_by = 'w1', locked_at = now(), attempts = 1 WHERE id IN (SELECT id FROM graphile_worker._private_jobs ORDER BY id LIMIT 3)`);
      expect(store.reclaimDeadQueueWorkers(now)).toEqual([]);
      const reclaimed = store.reclaimDeadQueueWorkers(new Date(Date.parse(now) + 60_000).toISOString());
      expect(reclaimed.map((r) => [r.worker.id, r.requeued])).toEqual([['w1', 3]]);
      const jobs = await db.query<{ locked_by: string | null; attempts: number }>('SELECT locked_by, attempts FROM graphile_worker.jobs ORDER BY id');
      expect(jobs.rows).toEqual(Array.from({ length: 5 }, () => ({ locked_by: null, attempts: 0 }))); // each can be fetched again
      expect(store.listQueueWorkers()).toEqual([]);
    } finally {
      await db.end();
      await ex.close();
      store.close();
    }
  });
});
