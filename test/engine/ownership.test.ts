// Workers own their attempts: real `dagctl scheduler` processes, real worker processes, real kill -9. Each test
// checks the store and the task's own output: a counter file gets one line per command that ran to its end.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPidAlive } from '../../src/engine/scheduler.js';
import { openEngine, type Engine } from '../../src/engine/service.js';
import { cleanup, dagctl, freshDatabase, ROOT, silent, tempDir, waitFor } from './helpers.js';

const DAGS = path.join(ROOT, 'test', 'fixtures', 'engine', 'own-dags');
const HEARTBEAT_S = 0.2;

/**
 * Is the process still running? A killed process whose parent died stays a zombie until init reaps it, and
 * kill(pid, 0) still finds a zombie: /proc says what it is.
 */
function running(pid: number): boolean {
  if (!isPidAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

let home: string;
let engine: Engine;
const children: ChildProcess[] = [];
const pids: number[] = [];

/** `dagctl scheduler` in its own process, as a user starts it. */
function startScheduler(): ChildProcess {
  const child = dagctl(['scheduler', '-q'], {
    DAGCTL_HOME: home,
    DAGCTL_DAGS_FOLDER: DAGS,
    DAGCTL_LOAD_EXAMPLES: 'false',
    DAGCTL_PARALLELISM: '1',
    DAGCTL_JOB_HEARTBEAT_SEC: String(HEARTBEAT_S),
  });
  children.push(child);
  return child;
}
const exited = (c: ChildProcess): Promise<unknown> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)));

/** The task's own record of itself, in its folder: pid files and the counter. */
function output(dir: string) {
  const read = (f: string): string => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8').trim() : '');
  return {
    lines: (f: string): string[] => (read(f) ? read(f).split('\n') : []),
    pid: (f: string): number => {
      const pid = Number(read(f));
      if (pid > 0) pids.push(pid);
      return pid;
    },
  };
}

/** Triggers `dagId` with a fresh output folder, starts `dagctl scheduler`, and waits until try 1 of `work` runs. */
async function attemptRunning(dagId: string, conf: Record<string, number> = {}) {
  const dir = tempDir();
  const out = output(dir);
  const run = engine.triggerDagRun(dagId, { conf: { dir, ...conf } });
  const scheduler = startScheduler();
  await waitFor(() => out.pid('sleep.1') > 0, 'try 1 of work to run');
  const worker = engine.taskInstance(dagId, run.run_id, 'work').pid!;
  pids.push(worker);
  return { out, run, scheduler, worker };
}

beforeEach(async () => {
  home = tempDir();
  freshDatabase();
  engine = await openEngine({ home, dagsFolders: [DAGS], parallelism: 1, logger: silent, heartbeatS: HEARTBEAT_S });
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await engine.close();
  for (const pid of pids.splice(0)) if (isPidAlive(pid)) process.kill(pid, 'SIGKILL');
  cleanup();
});

describe('a scheduler killed with -9', () => {
  it('costs nothing: the attempt finishes once and is recorded by its worker, and the next scheduler runs downstream', async () => {
    const { out, run, scheduler: first, worker } = await attemptRunning('own_chain', { sleep: 3 });
    first.kill('SIGKILL');
    await exited(first);
    expect(running(worker)).toBe(true); // it outlives the scheduler that started it
    const second = startScheduler();
    await waitFor(() => engine.getDagRun('own_chain', run.run_id).state === 'success', 'the run to succeed');
    expect(engine.taskInstance('own_chain', run.run_id, 'work')).toMatchObject({ state: 'success', try_number: 1 });
    expect(out.lines('counter')).toEqual(['try 1']);
    expect(out.lines('after')).toEqual(['try 1']);
    expect(engine.taskLog('own_chain', run.run_id, 'work', 1)).not.toContain('zombie');
    await waitFor(() => !running(worker), 'the orphaned worker to exit once its attempt is recorded', 5000);
    second.kill('SIGTERM');
    await exited(second);
    expect(second.exitCode).toBe(0);
  });

  it('leaves a worker that still ends its attempt at its executionTimeout', async () => {
    const { out, run, scheduler } = await attemptRunning('own_hung');
    scheduler.kill('SIGKILL');
    await exited(scheduler);
    // Nobody but the orphaned worker is left to stop it: 2 s after it began, it is up for retry and gone.
    await waitFor(() => engine.taskInstance('own_hung', run.run_id, 'work').state === 'up_for_retry', 'the worker to record the timeout', 10_000);
    expect(engine.taskLog('own_hung', run.run_id, 'work', 1)).toContain('task timed out after 2 s (executionTimeout)');
    await waitFor(() => !running(out.pid('sleep.1')) && !running(engine.taskInstance('own_hung', run.run_id, 'work').pid!), 'the attempt and its worker to be gone', 5000);
    expect(out.lines('counter')).toEqual([]);
  });
});

describe('a scheduler stopped with SIGTERM', () => {
  it('leaves nothing running: an attempt that does not finish in the grace period is failed by its worker, its processes killed', async () => {
    const { out, run, scheduler, worker } = await attemptRunning('own_chain', { sleep: 60 });
    scheduler.kill('SIGTERM');
    await exited(scheduler);
    expect(scheduler.exitCode).toBe(0);
    for (const pid of [worker, out.pid('shell.1'), out.pid('sleep.1')]) expect(running(pid)).toBe(false);
    expect(engine.taskInstance('own_chain', run.run_id, 'work')).toMatchObject({ state: 'up_for_retry', try_number: 1 });
    expect(engine.taskLog('own_chain', run.run_id, 'work', 1)).toContain('received SIGTERM');
    expect(out.lines('counter')).toEqual([]);
  });
});

describe('a worker killed with -9', () => {
  it('fails its attempt and takes what it started with it; the retry succeeds exactly once', async () => {
    const { out, run, scheduler, worker } = await attemptRunning('own_chain', { sleep: 30 });
    process.kill(worker, 'SIGKILL');
    await waitFor(() => engine.getDagRun('own_chain', run.run_id).state === 'success', 'the run to succeed');
    expect(engine.taskInstance('own_chain', run.run_id, 'work')).toMatchObject({ state: 'success', try_number: 2 });
    expect(out.lines('counter')).toEqual(['try 2']);
    expect(running(out.pid('sleep.1'))).toBe(false);
    expect(engine.taskLog('own_chain', run.run_id, 'work', 1)).toContain(`worker process ${worker} died mid-attempt (signal SIGKILL)`);
    // Stopping the scheduler leaves nothing running: its workers are gone too.
    const workers = engine.taskInstances('own_chain', run.run_id).flatMap((t) => (t.pid ? [t.pid] : []));
    scheduler.kill('SIGTERM');
    await exited(scheduler);
    await waitFor(() => workers.every((p) => !running(p)), 'the workers to exit', 5000);
  });
});

describe('a worker that dies holding several attempts', () => {
  it('fails only the attempt running in it; the one it recorded just before dying stays a success', async () => {
    const run = engine.triggerDagRun('own_dies');
    expect((await engine.waitForRun('own_dies', run.run_id)).state).toBe('success');
    expect(engine.taskInstance('own_dies', run.run_id, 'a_ok')).toMatchObject({ state: 'success', try_number: 1 });
    expect(engine.taskLog('own_dies', run.run_id, 'a_ok')).not.toContain('died');
    expect(engine.taskInstance('own_dies', run.run_id, 'b_dies')).toMatchObject({ state: 'success', try_number: 2 });
    expect(engine.taskLog('own_dies', run.run_id, 'b_dies', 1)).toMatch(/worker process \d+ died mid-attempt \(signal SIGKILL\)/);
  });
  it('a timed-out attempt costs its neighbour in the same worker nothing', async () => {
    const run = engine.triggerDagRun('own_neighbours');
    expect((await engine.waitForRun('own_neighbours', run.run_id)).state).toBe('failed');
    expect(engine.taskInstance('own_neighbours', run.run_id, 'a_hangs')).toMatchObject({ state: 'failed', try_number: 1 });
    expect(engine.taskInstance('own_neighbours', run.run_id, 'b_fine')).toMatchObject({ state: 'success', try_number: 1 });
  });
});

describe('a scheduler and its worker killed with -9', () => {
  it('leave an orphaned command that the next scheduler kills before retrying the attempt once', async () => {
    const { out, run, scheduler: first, worker } = await attemptRunning('own_chain', { sleep: 30 });
    first.kill('SIGKILL');
    process.kill(worker, 'SIGKILL');
    await exited(first);
    await waitFor(() => !running(worker), 'the worker to die');
    expect(running(out.pid('sleep.1'))).toBe(true); // the attempt's command, orphaned
    startScheduler();
    await waitFor(() => engine.getDagRun('own_chain', run.run_id).state === 'success', 'the run to succeed');
    expect(running(out.pid('sleep.1'))).toBe(false);
    expect(engine.taskInstance('own_chain', run.run_id, 'work')).toMatchObject({ state: 'success', try_number: 2 });
    expect(out.lines('counter')).toEqual(['try 2']);
    expect(out.lines('after')).toEqual(['try 1']);
    expect(engine.taskLog('own_chain', run.run_id, 'work', 1)).toContain('Detected zombie job');
  });
});

describe('a state set from outside while the attempt runs', () => {
  it('dagrun_timeout skips the running task and its worker ends the attempt and its processes', async () => {
    // Warm workers first: the run's 2 s must be spent running the attempt, not starting the pool.
    const warm = engine.triggerDagRun('own_chain', { conf: { dir: tempDir(), sleep: 0 } });
    expect((await engine.waitForRun('own_chain', warm.run_id)).state).toBe('success');
    const dir = tempDir();
    const out = output(dir);
    const run = engine.triggerDagRun('own_timeout', { conf: { dir } });
    const done = await engine.waitForRun('own_timeout', run.run_id);
    expect(done.state).toBe('failed');
    expect(out.pid('sleep.1')).toBeGreaterThan(0); // it did start
    expect(engine.taskInstance('own_timeout', run.run_id, 'work').state).toBe('skipped');
    await waitFor(() => !running(out.pid('sleep.1')) && !running(out.pid('shell.1')), 'the shell and its sleep to be killed', 5000);
    expect(engine.taskInstance('own_timeout', run.run_id, 'work').state).toBe('skipped'); // the aborted attempt recorded nothing
    expect(engine.taskLog('own_timeout', run.run_id, 'work', 1)).toContain('State of this instance has been externally set to skipped. Terminating instance.');
    expect(out.lines('counter')).toEqual([]);
  });

  /** Runs the scheduler in this process around `fn` (the run is triggered first: no wait for its next tick). */
  async function withScheduler(fn: () => Promise<void>): Promise<void> {
    const ac = new AbortController();
    const scheduler = engine.runScheduler({ signal: ac.signal });
    try {
      await fn();
    } finally {
      ac.abort();
      await scheduler;
    }
  }

  it('mark failed ends the attempt; the state stays failed and downstream is upstream_failed', async () => {
    const dir = tempDir();
    const out = output(dir);
    const run = engine.triggerDagRun('own_chain', { conf: { dir, sleep: 60 } });
    await withScheduler(async () => {
      await waitFor(() => out.pid('sleep.1') > 0, 'try 1 to run');
      engine.markTaskInstance('own_chain', run.run_id, 'work', 'failed');
      await waitFor(() => !running(out.pid('sleep.1')) && !running(out.pid('shell.1')), 'the marked attempt to be killed', 5000);
      await waitFor(() => engine.getDagRun('own_chain', run.run_id).state === 'failed', 'the run to fail');
    });
    expect(engine.taskInstance('own_chain', run.run_id, 'work')).toMatchObject({ state: 'failed', try_number: 1 });
    expect(engine.taskInstance('own_chain', run.run_id, 'after').state).toBe('upstream_failed');
    expect(out.lines('counter')).toEqual([]);
  });

  it('clear of a running attempt restarts it as a new try once the old one is dead, never two at once', async () => {
    const dir = tempDir();
    const out = output(dir);
    const run = engine.triggerDagRun('own_chain', { conf: { dir, sleep: 60 } });
    await withScheduler(async () => {
      await waitFor(() => out.pid('sleep.1') > 0, 'try 1 to run');
      expect(engine.clearTaskInstances('own_chain', { runId: run.run_id, taskRegex: '^work$' }).map((t) => t.state)).toEqual(['restarting']);
      await waitFor(() => engine.getDagRun('own_chain', run.run_id).state === 'success', 'the cleared run to succeed');
    });
    expect(running(out.pid('sleep.1'))).toBe(false);
    expect(engine.taskInstance('own_chain', run.run_id, 'work')).toMatchObject({ state: 'success', try_number: 2 });
    expect(out.lines('counter')).toEqual(['try 2']);
  });
});
