// Beyond one machine (PostgreSQL only): `dagctl scheduler` twice and `dagctl worker` three times, as separate
// processes sharing one database through the job queue, as they would on several hosts. Each task's own
// output is the witness: a counter file per task (one line per attempt that ran to its end) and a
// `started.<run>.<task>.<try>` file created exclusively (two runs of one try at once would collide).
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/engine/service.js';
import { openStoreAt } from '../../src/engine/store/open.js';
import { cleanup, dagctl, freshDatabase, ROOT, silent, tempDir, waitFor } from './helpers.js';

const DAGS = path.join(ROOT, 'test', 'fixtures', 'engine', 'scale-dags');
const TASKS = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`);
const onPostgres = process.env.DAGCTL_TEST_STORE === 'postgres';

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cleanup();
});

/** `dagctl scheduler` or `dagctl worker` on the queue executor, as on another host; its stderr is shown if it fails. */
function start(home: string, command: 'scheduler' | 'worker'): ChildProcess {
  const child = dagctl([command, '-q'], {
    DAGCTL_HOME: home,
    DAGCTL_DAGS_FOLDER: DAGS,
    DAGCTL_LOAD_EXAMPLES: 'false',
    DAGCTL_EXECUTOR: 'queue',
    DAGCTL_PARALLELISM: '2',
    DAGCTL_JOB_HEARTBEAT_SEC: '0.5',
    DAGCTL_ZOMBIE_TASK_THRESHOLD: '3',
    DAGCTL_SCHEDULER_HEALTH_CHECK_THRESHOLD: '10',
  });
  child.once('exit', (code, sig) => {
    if (code && sig === null) console.error(`dagctl ${command} exited ${code}: ${child.stderrText().slice(-2000)}`);
  });
  children.push(child);
  return child;
}

async function setUp(runs: number, ms: number): Promise<{ engine: Engine; home: string; dir: string; runIds: string[] }> {
  const home = tempDir();
  const dir = tempDir();
  freshDatabase();
  const engine = await openEngine({ home, dagsFolders: [DAGS], parallelism: 1, logger: silent, executor: 'queue' });
  const runIds = Array.from({ length: runs }, (_, i) => engine.triggerDagRun('fanout20', { runId: `r${String(i).padStart(3, '0')}`, logicalDate: new Date(Date.UTC(2026, 0, 1) + i * 60_000), conf: { dir, ms } }).run_id);
  return { engine, home, dir, runIds };
}

/** Every task ran to its end exactly once per run, and no try started twice. */
function expectExactlyOnce(dir: string, runIds: string[]): void {
  for (const t of TASKS) {
    const lines = existsSync(path.join(dir, t)) ? readFileSync(path.join(dir, t), 'utf8').trim().split('\n') : [];
    expect(lines.sort(), t).toEqual([...runIds].sort());
  }
}

describe.skipIf(!onPostgres)('several schedulers and workers on one PostgreSQL database', () => {
  it('run 200 runs of a 20-task fan-out: every task instance succeeds exactly once, all runs succeed', async () => {
    const { engine, home, dir, runIds } = await setUp(200, 0);
    try {
      for (let i = 0; i < 2; i++) start(home, 'scheduler');
      for (let i = 0; i < 3; i++) start(home, 'worker');
      await waitFor(() => engine.listDagRuns({ dagId: 'fanout20' }).every((r) => r.state === 'success'), 'all 200 runs to succeed', 240_000, 100);
      expectExactlyOnce(dir, runIds);
      const tis = runIds.flatMap((r) => engine.taskInstances('fanout20', r));
      expect(tis).toHaveLength(4000);
      expect(tis.every((t) => t.state === 'success' && t.try_number === 1)).toBe(true);
      expect(readdirSync(dir).filter((f) => f.startsWith('started.'))).toHaveLength(4000);
    } finally {
      await engine.close();
    }
  }, 300_000);

  it('spread attempts queued at once over the workers: each takes only what it can start now', async () => {
    const { engine, home, dir, runIds } = await setUp(1, 300);
    try {
      const workers = [start(home, 'worker'), start(home, 'worker'), start(home, 'worker')];
      // All three are registered before the run is queued: the scheduler packs its 20 attempts for three processes.
      let processes = 0;
      const store = openStoreAt(process.env.DAGCTL_DATABASE_URL!, new Date().toISOString());
      try {
        await waitFor(() => store.listQueueWorkers().length === 3, 'the three workers to register', 60_000, 50);
        processes = store.listQueueWorkers().reduce((n, w) => n + w.concurrency, 0);
      } finally {
        store.close();
      }
      start(home, 'scheduler');
      await waitFor(() => engine.listDagRuns({ dagId: 'fanout20' }).every((r) => r.state === 'success'), 'the run to succeed', 120_000, 100);
      expectExactlyOnce(dir, runIds);
      // Every worker process ran some of them (a worker fetching ahead would have taken several processes' share).
      const pids = new Set(engine.taskInstances('fanout20', runIds[0]!).map((t) => t.pid));
      expect(processes).toBe(6); // DAGCTL_PARALLELISM 2 each
      expect(pids.size).toBe(processes);
      expect(workers.every((w) => w.exitCode === null)).toBe(true);
    } finally {
      await engine.close();
    }
  }, 300_000);

  it('settle both jobs when one attempt arrives twice in a worker (a job put back while that worker still held it)', async () => {
    const { engine, home, dir, runIds } = await setUp(1, 300);
    const db = new pg.Client({ connectionString: process.env.DAGCTL_DATABASE_URL });
    await db.connect();
    try {
      await engine.runScheduler({ once: true }); // queues the 20 attempts: one job each (no worker is known yet)
      // A copy of the first job, fetched first (a lower priority number): the worker takes both at once.
      await db.query(
        `SELECT graphile_worker.add_job(t.identifier, j.payload, priority => -1) FROM graphile_worker._private_jobs j
         JOIN graphile_worker._private_tasks t ON t.id = j.task_id ORDER BY j.id LIMIT 1`,
      );
      const worker = start(home, 'worker');
      start(home, 'scheduler');
      await waitFor(() => engine.listDagRuns({ dagId: 'fanout20' }).every((r) => r.state === 'success'), 'the run to succeed', 120_000, 100);
      expectExactlyOnce(dir, runIds);
      expect(readdirSync(dir).filter((f) => f.startsWith('started.'))).toHaveLength(20);
      // Both copies are done: none is left locked by the worker, which still serves its queue.
      await waitFor(async () => (await db.query('SELECT 1 FROM graphile_worker.jobs')).rowCount === 0, 'every job to be done', 30_000, 100);
      expect(worker.exitCode).toBeNull();
    } finally {
      await db.end();
      await engine.close();
    }
  }, 300_000);

  it('survive kill -9 of one scheduler and one worker mid-run: all runs finish, no try runs twice', async () => {
    const { engine, home, dir, runIds } = await setUp(30, 300);
    try {
      const schedulers = [start(home, 'scheduler'), start(home, 'scheduler')];
      const workers = [start(home, 'worker'), start(home, 'worker'), start(home, 'worker')];
      await waitFor(() => existsSync(path.join(dir, 't00')) && readFileSync(path.join(dir, 't00'), 'utf8').split('\n').length > 5, 'some attempts to finish', 120_000, 100);
      schedulers[0]!.kill('SIGKILL');
      workers[0]!.kill('SIGKILL');
      await waitFor(() => engine.listDagRuns({ dagId: 'fanout20' }).every((r) => r.state === 'success'), 'all runs to succeed', 120_000, 100);
      expectExactlyOnce(dir, runIds);
      // The killed worker was taken for dead (what it held went back to the queue); the two alive remain.
      const store = openStoreAt(process.env.DAGCTL_DATABASE_URL!, new Date().toISOString());
      try {
        expect(store.listQueueWorkers().map((w) => w.pid).sort()).toEqual([workers[1]!.pid, workers[2]!.pid].sort());
        // So was the killed scheduler, by the other one, which adopted what it had queued.
        await waitFor(() => store.listSchedulers().map((s) => s.pid).join() === String(schedulers[1]!.pid), 'the killed scheduler to be taken for dead', 30_000, 100);
      } finally {
        store.close();
      }
    } finally {
      await engine.close();
    }
  }, 300_000);
});
