// Real worker processes (ownership.test.ts kills them, and schedulers, with -9). Kept few: each pool start costs ~1 s.
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchedulerBusyError } from '../../src/engine/errors.js';
import { openEngine, type Engine, type TaskInstanceRow } from '../../src/engine/service.js';
import { isPidAlive } from '../../src/engine/scheduler.js';
import { openStore } from '../../src/engine/store/open.js';
import type { SchedulerJobRow } from '../../src/engine/store/rows.js';
import { ATTEMPTS_CHANNEL, parseEnded } from '../../src/engine/store/sql-scale-out.js';
import { cleanup, freshDatabase, silent, tempDir, waitFor } from './helpers.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'engine');
const DAGS = path.join(FIXTURES, 'dags');
const onPostgres = process.env.DAGCTL_TEST_STORE === 'postgres';

let home: string;
let engine: Engine;
beforeAll(async () => {
  home = tempDir();
  freshDatabase();
  engine = await openEngine({ home, dagsFolders: [DAGS], parallelism: 2, logger: silent });
});
afterAll(async () => {
  // Every worker that ran an attempt must be gone once the engine is closed (no leaked processes).
  const pids = new Set(engine.listDagRuns().flatMap((r) => engine.taskInstances(r.dag_id, r.run_id).flatMap((t) => (t.pid ? [t.pid] : []))));
  pids.delete(process.pid);
  await engine.close();
  await waitFor(() => [...pids].every((pid) => !isPidAlive(pid)), `worker processes ${[...pids].join(', ')} to exit`, 10_000);
  cleanup();
});

describe('DAG loading', () => {
  it('loads every exported DAG, records a throwing file as an import error, and skips _files', () => {
    expect(engine.listDags().map((d) => d.dag_id)).toEqual(['proc_chain', 'proc_daily', 'proc_die', 'proc_fan', 'proc_long', 'proc_timeout']);
    const errs = engine.importErrors();
    expect(errs.map((e) => path.basename(e.filename))).toEqual(['broken.ts']);
    expect(errs[0]!.stack_trace).toContain('this DAG file is broken on purpose');
    expect(() => engine.getDag('broken')).toThrow(/DAG 'broken' not found/);
  });
});

describe('worker processes', () => {
  it('runs a chain in worker processes, passing XCom and writing readable task logs', async () => {
    const run = engine.triggerDagRun('proc_chain', { conf: { n: 7 } });
    expect(run.run_id).toMatch(/^manual__\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    const seen: string[] = [];
    const done = await engine.waitForRun('proc_chain', run.run_id, { onEvent: (e) => e.type === 'task' && e.state === 'success' && seen.push(e.taskId) });
    expect(done.state).toBe('success');
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(engine.xcom('proc_chain', run.run_id, 'c')).toBe('7-done-b');
    const tis = engine.taskInstances('proc_chain', run.run_id);
    expect(new Set(tis.map((t) => t.pid)).has(process.pid)).toBe(false); // not this process
    const log = engine.taskLog('proc_chain', run.run_id, 'b');
    expect(log).toMatch(/\] INFO - Running command: echo/);
    expect(log).toMatch(/\] INFO - done-b/);
    expect(engine.taskLog('proc_chain', run.run_id, 'a')).toContain('INFO - hello from a');
    expect(engine.taskLog('proc_chain', run.run_id, 'a')).toContain("INFO - printed by a: { n: 7 }");
  });
  it('runs one scheduling step with `once`, recording the results of the attempts it started', async () => {
    const run = engine.triggerDagRun('proc_chain');
    await engine.runScheduler({ once: true });
    expect(engine.getDagRun('proc_chain', run.run_id).state).toBe('running');
    expect(engine.taskInstances('proc_chain', run.run_id).map((t) => [t.task_id, t.state])).toEqual([['a', 'success'], ['b', 'scheduled'], ['c', null]]);
    expect((await engine.waitForRun('proc_chain', run.run_id)).state).toBe('success');
  });
  it('kills an attempt that ignores its executionTimeout and replaces the worker', async () => {
    const run = engine.triggerDagRun('proc_timeout');
    expect((await engine.waitForRun('proc_timeout', run.run_id)).state).toBe('failed');
    const ti = engine.taskInstance('proc_timeout', run.run_id, 'stuck');
    expect(ti.state).toBe('failed');
    await waitFor(() => !isPidAlive(ti.pid!), 'the timed-out worker to be gone', 10_000);
    // the pool still works
    const next = engine.triggerDagRun('proc_chain');
    expect((await engine.waitForRun('proc_chain', next.run_id)).state).toBe('success');
  });
  it('runs the attempts handed to a worker behind a long one on an idle worker instead', async () => {
    const release = path.join(home, 'release-long');
    const run = engine.triggerDagRun('proc_long', { conf: { release } });
    const driving = engine.waitForRun('proc_long', run.run_id);
    const quick = (): TaskInstanceRow[] => engine.taskInstances('proc_long', run.run_id).filter((t) => t.task_id.startsWith('quick_'));
    // Two workers: the long one's worker was handed half the quick ones too; they run elsewhere while it runs.
    await waitFor(() => quick().every((t) => t.state === 'success'), 'the quick tasks to end while the long one runs', 10_000);
    const long = engine.taskInstance('proc_long', run.run_id, 'long');
    expect(long.state).toBe('running');
    expect(quick().map((t) => t.pid)).not.toContain(long.pid);
    writeFileSync(release, '');
    expect((await driving).state).toBe('success');
    expect(engine.xcom('proc_long', run.run_id, 'long')).toBe('released');
  });
  it.skipIf(!onPostgres)('tells listening schedulers of every end a worker records, in fewer notifications than ends', async () => {
    const listener = new pg.Client({ connectionString: process.env.DAGCTL_DATABASE_URL });
    await listener.connect();
    const notices: string[] = [];
    listener.on('notification', (n) => notices.push(n.payload ?? ''));
    await listener.query(`LISTEN ${ATTEMPTS_CHANNEL}`);
    try {
      const run = engine.triggerDagRun('proc_fan');
      expect((await engine.waitForRun('proc_fan', run.run_id)).state).toBe('success');
      const ends = () => notices.flatMap((n) => parseEnded(n) ?? []).filter((e) => e.key.runId === run.run_id);
      await waitFor(() => ends().length === 16, 'a notification for each of the 16 ends', 5000);
      expect(ends().map((e) => `${e.key.taskId}:${e.state}`).sort()).toEqual(Array.from({ length: 16 }, (_, i) => `t_${i}:success`).sort());
      // Ends recorded with the next start go out together at the end of the worker's turn.
      expect(notices.filter((n) => n !== '').length).toBeLessThan(16);
    } finally {
      await listener.end();
    }
  });
  it('fails an attempt whose worker dies mid-attempt, then retries it on a fresh worker', async () => {
    const run = engine.triggerDagRun('proc_die');
    expect((await engine.waitForRun('proc_die', run.run_id)).state).toBe('success');
    expect(engine.taskInstance('proc_die', run.run_id, 'die')).toMatchObject({ state: 'success', try_number: 2 });
    expect(engine.xcom('proc_die', run.run_id, 'die')).toBe('survived');
  });
});

describe('facade', () => {
  it('backfills one run per interval in this process, even for a paused DAG', async () => {
    const runs = await engine.backfill('proc_daily', new Date('2026-01-02T00:00:00Z'), new Date('2026-01-04T00:00:00Z'));
    expect(runs.map((r) => [r.run_id, r.run_type, r.state])).toEqual([
      ['backfill__2026-01-02T00:00:00+00:00', 'backfill', 'success'],
      ['backfill__2026-01-03T00:00:00+00:00', 'backfill', 'success'],
      ['backfill__2026-01-04T00:00:00+00:00', 'backfill', 'success'],
    ]);
    expect(engine.xcom('proc_daily', runs[1]!.run_id, 'interval')).toBe('2026-01-03..2026-01-04');
    expect(engine.dagRunState('proc_daily', new Date('2026-01-03T00:00:00Z'))).toBe('success');
  });
  it('tests a DAG and a task in this process without touching the database', async () => {
    const before = engine.listDagRuns().length;
    const { run, tasks } = await engine.testDag('proc_chain', new Date('2026-02-01T00:00:00Z'), { n: 5 });
    expect(run.state).toBe('success');
    expect(tasks.map((t) => [t.task_id, t.state])).toEqual([['a', 'success'], ['b', 'success'], ['c', 'success']]);
    const t = await engine.testTask('proc_chain', 'a', undefined, { n: 9 });
    expect(t).toMatchObject({ state: 'success', returnValue: { n: 9 } });
    expect(t.log).toContain('INFO - hello from a');
    expect(engine.listDagRuns().length).toBe(before);
  });
  it('refuses to drive a queued run of a paused DAG, and explains why it waits', async () => {
    const run = engine.triggerDagRun('proc_daily', { logicalDate: new Date('2026-03-01T00:00:00Z') });
    expect(run.data_interval_start).toBe('2026-02-28T00:00:00.000Z');
    await expect(engine.waitForRun('proc_daily', run.run_id)).rejects.toThrow(/is paused/);
    expect(engine.failedDeps('proc_daily', run.run_id, 'interval')).toContain("Task's DAG 'proc_daily' is paused.");
    engine.setPaused('proc_daily', false);
    expect((await engine.waitForRun('proc_daily', run.run_id)).state).toBe('success');
    engine.setPaused('proc_daily', true);
    const cleared = engine.clearTaskInstances('proc_daily', { runId: run.run_id, dryRun: true });
    expect(cleared.map((t) => [t.task_id, t.state])).toEqual([['interval', 'success']]);
    expect(engine.taskInstance('proc_daily', run.run_id, 'interval').state).toBe('success');
  });
});

describe('crash safety', () => {
  it('refuses a second scheduler on the same database; waitForRun then watches the scheduler run it', async () => {
    const ac = new AbortController();
    const first = engine.runScheduler({ signal: ac.signal });
    const other = await openEngine({ home, dagsFolders: [DAGS], parallelism: 1, logger: silent });
    try {
      await waitFor(() => other.schedulerAlive(), 'the first scheduler to take the lock');
      await expect(other.runScheduler({ once: true })).rejects.toBeInstanceOf(SchedulerBusyError);
      // It is recorded with its heartbeat, as Airflow's SchedulerJob (`dagctl jobs check`, /health read it).
      expect(schedulerRows().map((r) => [r.pid, r.hostname, r.executor])).toEqual([[process.pid, hostname(), 'local']]);
      // With a scheduler alive, waitForRun only watches the database, reporting what the scheduler does.
      const run = other.triggerDagRun('proc_chain');
      const seen: string[] = [];
      const done = await other.waitForRun('proc_chain', run.run_id, { onEvent: (e) => e.type === 'task' && e.state === 'success' && seen.push(e.taskId) });
      expect(done.state).toBe('success');
      expect(seen).toEqual(['a', 'b', 'c']);
    } finally {
      ac.abort();
      await first;
      await other.close();
    }
    expect(engine.schedulerAlive()).toBe(false);
    expect(schedulerRows()).toEqual([]); // a clean stop removes its row
  });
});

function schedulerRows(): SchedulerJobRow[] {
  const store = openStore(home, new Date().toISOString());
  try {
    return store.listSchedulers();
  } finally {
    store.close();
  }
}
