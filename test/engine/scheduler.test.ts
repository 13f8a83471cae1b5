// Conformance with Airflow's scheduler (tests/jobs/test_scheduler_job.py, models/test_cleartasks.py),
// on tick() with a fake clock, real SQLite and the in-process executor.
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createRun } from '../../src/engine/dagrun.js';
import { DAG, NonRetryableError, type CallbackContext } from '../../src/engine/index.js';
import { selectForClear, failedDepsOf } from '../../src/engine/inspect.js';
import { retryDelaySeconds } from '../../src/engine/retry.js';
import { BranchOperator } from '../../src/operators/branch.js';
import { EmptyOperator } from '../../src/operators/empty.js';
import { FunctionOperator } from '../../src/operators/function.js';
import { ShortCircuitOperator } from '../../src/operators/short-circuit.js';
import { cleanup, harness } from './helpers.js';

afterEach(cleanup);
const daily = (o: Partial<ConstructorParameters<typeof DAG>[0]> = {}) =>
  new DAG({ dagId: 'daily', schedule: '@daily', startDate: new Date('2026-01-01T00:00:00Z'), isPausedUponCreation: false, ...o });
const manual = (dag: DAG, h: ReturnType<typeof harness>, date = '2026-01-05T00:00:00Z', conf = {}) =>
  createRun(h.store, dag, { runType: 'manual', logicalDate: new Date(date), dataIntervalStart: new Date(date), dataIntervalEnd: new Date(date), conf }, h.clock.now());

describe('run creation', () => {
  it('creates one run per missed interval with catchup, runs them, and names them as Airflow', async () => {
    const dag = daily();
    dag.add(new EmptyOperator({ taskId: 't' }));
    const h = harness([dag], { now: '2026-01-04T01:00:00Z' });
    const [first] = await h.settle();
    expect(first!.createdRuns).toEqual([
      'scheduled__2026-01-01T00:00:00+00:00', 'scheduled__2026-01-02T00:00:00+00:00', 'scheduled__2026-01-03T00:00:00+00:00',
    ]);
    const runs = h.store.listDagRuns({ dagId: 'daily', order: 'asc' });
    expect(runs.map((r) => [r.state, r.data_interval_start, r.data_interval_end])).toEqual([
      ['success', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
      ['success', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'],
      ['success', '2026-01-03T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
    ]);
    expect(h.store.getDag('daily')!.next_dagrun).toBe('2026-01-04T00:00:00.000Z');
    expect(h.store.getDag('daily')!.next_dagrun_create_after).toBe('2026-01-05T00:00:00.000Z');
    // nothing is due until the next interval ends
    expect(h.scheduler.tick(h.clock.now()).createdRuns).toEqual([]);
    h.clock.set('2026-01-05T00:00:00Z');
    expect(h.scheduler.tick(h.clock.now()).createdRuns).toEqual(['scheduled__2026-01-04T00:00:00+00:00']);
  });
  it('creates only the latest interval without catchup', async () => {
    const dag = daily({ catchup: false });
    dag.add(new EmptyOperator({ taskId: 't' }));
    const h = harness([dag], { now: '2026-01-04T01:00:00Z' });
    expect(h.scheduler.tick(h.clock.now()).createdRuns).toEqual(['scheduled__2026-01-03T00:00:00+00:00']);
  });
  it('stops creating runs at max_active_runs and resumes when one finishes', async () => {
    const dag = daily({ maxActiveRuns: 1 });
    dag.add(new EmptyOperator({ taskId: 't' }));
    const h = harness([dag], { now: '2026-01-04T01:00:00Z' });
    const r = h.scheduler.tick(h.clock.now());
    expect(r.createdRuns).toHaveLength(1);
    expect(h.store.getDag('daily')!.next_dagrun_create_after).toBeNull();
    await h.settle();
    expect(h.store.listDagRuns({ dagId: 'daily', order: 'asc' }).map((x) => [x.run_id.slice(11, 21), x.state])).toEqual([
      ['2026-01-01', 'success'], ['2026-01-02', 'success'], ['2026-01-03', 'success'],
    ]);
  });
  it('keeps runs beyond max_active_runs queued and starts them in logical-date order', async () => {
    const dag = new DAG({ dagId: 'm', maxActiveRuns: 1, isPausedUponCreation: false });
    const gate = dag.add(new EmptyOperator({ taskId: 't' }));
    void gate;
    const h = harness([dag]);
    manual(dag, h, '2026-01-03T00:00:00Z');
    manual(dag, h, '2026-01-01T00:00:00Z');
    manual(dag, h, '2026-01-02T00:00:00Z');
    const r = h.scheduler.tick(h.clock.now());
    expect(r.startedRuns).toEqual(['manual__2026-01-01T00:00:00+00:00']);
    expect(h.store.listDagRuns({ dagId: 'm', state: 'queued' })).toHaveLength(2);
    await h.settle();
    const order = h.events.filter((e) => e.type === 'run' && e.state === 'running').map((e) => e.runId.slice(8, 18));
    expect(order).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
  });
  it('creates nothing for a paused DAG, and a run triggered on it stays queued', async () => {
    const dag = daily({ isPausedUponCreation: true });
    dag.add(new EmptyOperator({ taskId: 't' }));
    const h = harness([dag], { now: '2026-01-04T01:00:00Z' });
    const run = manual(dag, h);
    await h.settle();
    expect(h.store.listDagRuns({ dagId: 'daily' }).map((r) => r.run_id)).toEqual([run.run_id]);
    expect(h.store.getDagRun({ dagId: 'daily', runId: run.run_id })!.state).toBe('queued');
    expect(failedDepsOf(h.store, dag, h.store.getDagRun({ dagId: 'daily', runId: run.run_id })!, h.store.getTi({ dagId: 'daily', runId: run.run_id, taskId: 't' })!, h.clock.now()))
      .toEqual(["Task's DAG 'daily' is paused.", "Task instance's dagrun was not in the 'running' state but in the state 'queued'."]);
    h.store.setPaused('daily', false);
    await h.settle();
    expect(h.store.getDagRun({ dagId: 'daily', runId: run.run_id })!.state).toBe('success');
  });
});

describe('task execution and trigger rules', () => {
  it('passes XCom along a chain and finishes the run from its leaves', async () => {
    const dag = new DAG({ dagId: 'x', isPausedUponCreation: false, params: { n: 2 } });
    const a = dag.add(new FunctionOperator({ taskId: 'a', fn: (ctx) => ({ n: Number(ctx.params.n) }) }));
    const b = dag.add(new FunctionOperator({ taskId: 'b', fn: (ctx) => (ctx.xcomPull(a)?.n ?? 0) * 10 }));
    a.then(b);
    const h = harness([dag]);
    const run = manual(dag, h, '2026-01-05T00:00:00Z', { n: 4 });
    await h.settle();
    expect(h.store.getDagRun({ dagId: 'x', runId: run.run_id })!.state).toBe('success');
    expect(h.store.getXcom({ dagId: 'x', runId: run.run_id, taskId: 'b' }, 'return_value')).toBe(40);
    const ti = h.store.getTi({ dagId: 'x', runId: run.run_id, taskId: 'b' })!;
    expect(ti).toMatchObject({ state: 'success', try_number: 1, operator: 'FunctionOperator', hostname: hostname() });
    expect(ti.duration).toBeGreaterThanOrEqual(0);
  });
  it('marks downstream upstream_failed when a parent fails, and runs all_done / one_failed tasks', async () => {
    const dag = new DAG({ dagId: 'tr', isPausedUponCreation: false });
    const ok = dag.add(new EmptyOperator({ taskId: 'ok' }));
    const boom = dag.add(new FunctionOperator({ taskId: 'boom', fn: () => { throw new Error('boom'); } }));
    const allSuccess = dag.add(new EmptyOperator({ taskId: 'all_success' }));
    const deeper = dag.add(new EmptyOperator({ taskId: 'deeper' }));
    const allDone = dag.add(new EmptyOperator({ taskId: 'all_done', triggerRule: 'all_done' }));
    const oneFailed = dag.add(new EmptyOperator({ taskId: 'one_failed', triggerRule: 'one_failed' }));
    const allFailed = dag.add(new EmptyOperator({ taskId: 'all_failed', triggerRule: 'all_failed' }));
    for (const t of [allSuccess, allDone, oneFailed, allFailed]) [ok, boom].forEach((u) => u.then(t));
    allSuccess.then(deeper);
    const h = harness([dag]);
    const run = manual(dag, h);
    await h.settle();
    expect(h.states(run.run_id)).toEqual({
      ok: 'success', boom: 'failed', all_success: 'upstream_failed', deeper: 'upstream_failed',
      all_done: 'success', one_failed: 'success', all_failed: 'skipped',
    });
    // leaves: deeper upstream_failed -> the run failed
    expect(h.store.getDagRun({ dagId: 'tr', runId: run.run_id })!.state).toBe('failed');
  });
  it('skips the branches not taken and joins with none_failed_min_one_success', async () => {
    const dag = new DAG({ dagId: 'br', isPausedUponCreation: false });
    const a = dag.add(new EmptyOperator({ taskId: 'a' }));
    const b = dag.add(new EmptyOperator({ taskId: 'b' }));
    const afterB = dag.add(new EmptyOperator({ taskId: 'after_b' }));
    const pick = dag.add(new BranchOperator({ taskId: 'pick', fn: () => a }));
    const join = dag.add(new EmptyOperator({ taskId: 'join', triggerRule: 'none_failed_min_one_success' }));
    pick.then([a, b]);
    b.then(afterB);
    a.then(join);
    afterB.then(join);
    const h = harness([dag]);
    const run = manual(dag, h);
    await h.settle();
    expect(h.states(run.run_id)).toEqual({ a: 'success', b: 'skipped', after_b: 'skipped', pick: 'success', join: 'success' });
    expect(h.store.getXcom({ dagId: 'br', runId: run.run_id, taskId: 'pick' }, 'return_value')).toEqual(['a']);
    expect(h.store.getDagRun({ dagId: 'br', runId: run.run_id })!.state).toBe('success');
  });
  it('short-circuits everything downstream, or only direct children when trigger rules are respected', async () => {
    const build = (id: string, ignore: boolean) => {
      const dag = new DAG({ dagId: id, isPausedUponCreation: false });
      const check = dag.add(new ShortCircuitOperator({ taskId: 'check', fn: () => 0, ignoreDownstreamTriggerRules: ignore }));
      const next = dag.add(new EmptyOperator({ taskId: 'next' }));
      const always = dag.add(new EmptyOperator({ taskId: 'always', triggerRule: 'all_done' }));
      check.then(next).then(always);
      return dag;
    };
    const d1 = build('sc_all', true);
    const d2 = build('sc_direct', false);
    const h = harness([d1, d2]);
    const r1 = manual(d1, h);
    const r2 = manual(d2, h);
    await h.settle();
    expect(h.states(r1.run_id, 'sc_all')).toEqual({ check: 'success', next: 'skipped', always: 'skipped' });
    expect(h.states(r2.run_id, 'sc_direct')).toEqual({ check: 'success', next: 'skipped', always: 'success' });
  });
  it('respects max_active_tasks and parallelism when queueing', async () => {
    const dag = new DAG({ dagId: 'wide', isPausedUponCreation: false, maxActiveTasks: 2 });
    for (let i = 0; i < 6; i++) dag.add(new EmptyOperator({ taskId: `t${i}` }));
    const h = harness([dag], { parallelism: 4 });
    manual(dag, h);
    const r = h.scheduler.tick(h.clock.now());
    expect(r.queued).toBe(2);
    await h.settle();
    expect(h.store.listDagRuns({ dagId: 'wide' })[0]!.state).toBe('success');
  });
  it('marks task instances of tasks no longer in the DAG removed, so the run can end', async () => {
    const v1 = new DAG({ dagId: 'rm', isPausedUponCreation: false });
    v1.add(new EmptyOperator({ taskId: 'kept' }));
    v1.add(new EmptyOperator({ taskId: 'dropped' }));
    const v2 = new DAG({ dagId: 'rm', isPausedUponCreation: false });
    v2.add(new EmptyOperator({ taskId: 'kept' }));
    const h = harness([v2]);
    const run = manual(v1, h); // created while the file still had `dropped`
    await h.settle();
    expect(h.states(run.run_id, 'rm')).toEqual({ kept: 'success', dropped: 'removed' });
    expect(h.store.getDagRun({ dagId: 'rm', runId: run.run_id })!.state).toBe('success');
  });
  it('refuses a non-JSON return value with a clear error', async () => {
    const dag = new DAG({ dagId: 'nj', isPausedUponCreation: false });
    dag.add(new FunctionOperator({ taskId: 'bad', fn: () => new Date() as never }));
    const h = harness([dag]);
    const run = manual(dag, h);
    await h.settle();
    expect(h.states(run.run_id, 'nj')).toEqual({ bad: 'failed' });
  });
});

describe('retries', () => {
  it('puts a failed try up_for_retry, reschedules it when due, and increments try_number', async () => {
    const tries: number[] = [];
    const dag = new DAG({ dagId: 'retry', isPausedUponCreation: false, defaultArgs: { retries: 2, retryDelay: 60 } });
    const onRetry: CallbackContext[] = [];
    dag.add(new FunctionOperator({
      taskId: 'flaky',
      onRetry: (c) => void onRetry.push(c),
      fn: (ctx) => { tries.push(ctx.tryNumber); if (ctx.tryNumber < 2) throw new Error('first try fails'); return 'ok'; },
    }));
    const h = harness([dag]);
    const run = manual(dag, h);
    await h.settle();
    const key = { dagId: 'retry', runId: run.run_id, taskId: 'flaky' };
    const ti = h.store.getTi(key)!;
    expect(ti).toMatchObject({ state: 'up_for_retry', try_number: 1, max_tries: 2 });
    expect(new Date(ti.next_retry_at!).getTime() - new Date(ti.end_date!).getTime()).toBe(60_000);
    expect(onRetry.map((c) => [c.state, c.tryNumber, c.error?.message])).toEqual([['up_for_retry', 1, 'first try fails']]);
    h.clock.advance(59);
    await h.settle();
    expect(h.store.getTi(key)!.state).toBe('up_for_retry');
    h.clock.advance(1);
    await h.settle();
    expect(h.store.getTi(key)).toMatchObject({ state: 'success', try_number: 2 });
    expect(tries).toEqual([1, 2]);
    expect(h.store.getDagRun({ dagId: 'retry', runId: run.run_id })!.state).toBe('success');
  });
  it('uses exponential backoff with Airflow jitter', async () => {
    const dag = new DAG({ dagId: 'backoff', isPausedUponCreation: false });
    const t = dag.add(new FunctionOperator({ taskId: 't', retries: 3, retryDelay: 10, retryExponentialBackoff: true, fn: () => { throw new Error('x'); } }));
    const h = harness([dag]);
    const run = manual(dag, h);
    await h.settle();
    const ti = h.store.getTi({ dagId: 'backoff', runId: run.run_id, taskId: 't' })!;
    const want = retryDelaySeconds(t.retryPolicy, { dagId: 'backoff', taskId: 't', logicalDate: new Date(run.logical_date), tryNumber: 1 });
    expect(want).toBeGreaterThanOrEqual(10);
    expect(new Date(ti.next_retry_at!).getTime() - new Date(ti.end_date!).getTime()).toBe(want * 1000);
  });
  it('fails at once on NonRetryableError and when retries are exhausted', async () => {
    const dag = new DAG({ dagId: 'nr', isPausedUponCreation: false, defaultArgs: { retries: 3, retryDelay: 0 } });
    const failures: string[] = [];
    dag.add(new FunctionOperator({ taskId: 'fatal', onFailure: (c) => void failures.push(c.error!.message), fn: () => { throw new NonRetryableError('no point retrying'); } }));
    dag.add(new FunctionOperator({ taskId: 'always_bad', retries: 1, fn: () => { throw new Error('bad'); } }));
    const h = harness([dag]);
    const run = manual(dag, h);
    for (let i = 0; i < 3; i++) {
      await h.settle();
      h.clock.advance(1);
    }
    expect(h.store.getTi({ dagId: 'nr', runId: run.run_id, taskId: 'fatal' })).toMatchObject({ state: 'failed', try_number: 1 });
    expect(h.store.getTi({ dagId: 'nr', runId: run.run_id, taskId: 'always_bad' })).toMatchObject({ state: 'failed', try_number: 2 });
    expect(failures).toEqual(['no point retrying']);
  });
});

describe('timeouts', () => {
  it('fails an attempt that exceeds executionTimeout (its signal aborts)', async () => {
    const dag = new DAG({ dagId: 'et', isPausedUponCreation: false });
    dag.add(new FunctionOperator({ taskId: 'slow', executionTimeout: 0.05, fn: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) }));
    const h = harness([dag]);
    const run = manual(dag, h);
    await h.settle();
    expect(h.states(run.run_id, 'et')).toEqual({ slow: 'failed' });
    expect(h.store.getDagRun({ dagId: 'et', runId: run.run_id })!.state).toBe('failed');
  });
  it('fails a run past dagrunTimeout, skips what has not finished (a queued attempt never starts), and calls on_failure with timed_out', async () => {
    const reasons: string[] = [];
    const dag = new DAG({ dagId: 'drt', isPausedUponCreation: false, dagrunTimeout: 60, onFailure: (c) => void reasons.push(c.reason!) });
    const first = dag.add(new EmptyOperator({ taskId: 'first' }));
    first.then(dag.add(new EmptyOperator({ taskId: 'second' })));
    const h = harness([dag]);
    const run = manual(dag, h);
    h.scheduler.tick(h.clock.now()); // starts the run, queues `first`
    h.clock.advance(61);
    const r = h.scheduler.tick(h.clock.now());
    expect(r.timedOutRuns).toBe(1);
    await h.executor.idle();
    await h.settle();
    await h.scheduler.callbacksDone();
    expect(h.store.getDagRun({ dagId: 'drt', runId: run.run_id })!.state).toBe('failed');
    expect(h.states(run.run_id, 'drt')).toEqual({ first: 'skipped', second: 'skipped' });
    expect(h.store.getTi({ dagId: 'drt', runId: run.run_id, taskId: 'first' })).toMatchObject({ try_number: 1, pid: null }); // its worker refused to start it
    expect(reasons).toEqual(['timed_out']);
  });
});

describe('clear and mark', () => {
  it('clears failed tasks and their downstream to none, bumps max_tries, clears XCom, and reruns the run', async () => {
    let fail = true;
    const dag = new DAG({ dagId: 'cl', isPausedUponCreation: false });
    const a = dag.add(new FunctionOperator({ taskId: 'a', fn: () => 'a1' }));
    const b = dag.add(new FunctionOperator({ taskId: 'b', fn: (ctx) => { ctx.xcomPush('partial', 1); if (fail) throw new Error('b fails'); return 'b-ok'; } }));
    const c = dag.add(new EmptyOperator({ taskId: 'c' }));
    a.then(b).then(c);
    const h = harness([dag]);
    const run = manual(dag, h);
    await h.settle();
    expect(h.states(run.run_id, 'cl')).toEqual({ a: 'success', b: 'failed', c: 'upstream_failed' });
    const key = { dagId: 'cl', runId: run.run_id, taskId: 'b' };
    expect(h.store.getXcom(key, 'partial')).toBe(1);
    const selected = selectForClear(h.store, dag, { taskRegex: '^b$', downstream: true, onlyFailed: false });
    expect(selected.map((t) => t.task_id).sort()).toEqual(['b', 'c']);
    const cleared = h.store.clearTis(selected.map((t) => ({ key: { dagId: 'cl', runId: run.run_id, taskId: t.task_id }, retries: 0 })), h.clock.now().toISOString());
    expect(cleared.map((t) => [t.task_id, t.state, t.max_tries])).toEqual([['b', null, 1], ['c', null, 0]]);
    expect(h.store.getXcom(key, 'partial')).toBeUndefined();
    expect(h.store.getDagRun({ dagId: 'cl', runId: run.run_id })!.state).toBe('queued');
    fail = false;
    await h.settle();
    expect(h.states(run.run_id, 'cl')).toEqual({ a: 'success', b: 'success', c: 'success' });
    expect(h.store.getTi(key)!.try_number).toBe(2);
    expect(h.store.getDagRun({ dagId: 'cl', runId: run.run_id })!.state).toBe('success');
  });
  it('marks a task instance by hand and refuses an illegal transition naming both states', async () => {
    const dag = new DAG({ dagId: 'mk', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 't' }));
    const h = harness([dag]);
    const run = manual(dag, h);
    const key = { dagId: 'mk', runId: run.run_id, taskId: 't' };
    expect(h.store.markTi(key, 'skipped', h.clock.now().toISOString()).state).toBe('skipped');
    expect(() => h.store.startAttempt({ key, tryNumber: 1, queuedBy: 'x' }, { pid: 1, hostname: 'h' }, h.clock.now().toISOString())).toThrow(/try 1: illegal transition from 'skipped, at try 0' to 'running'/);
    await h.settle();
    expect(h.store.getDagRun({ dagId: 'mk', runId: run.run_id })!.state).toBe('success');
  });
});

/** What a worker leaves in the store for a running attempt: its run started, try 1 queued by `queuedBy`, started by `pid`. */
function startedAttempt(h: ReturnType<typeof harness>, key: { dagId: string; runId: string; taskId: string }, o: { queuedBy: string; pid: number; hostname: string }): void {
  const now = h.clock.now().toISOString();
  h.store.startDagRun(key, now);
  h.store.applyDecisions(key, [{ taskId: key.taskId, from: null, to: 'scheduled' }], now);
  h.store.queueTis([key], now, o.queuedBy);
  h.store.startAttempt({ key, tryNumber: 1, queuedBy: o.queuedBy }, { pid: o.pid, hostname: o.hostname }, now);
}

describe('queueing in batches', () => {
  it('gives each task instance its own try across runs and chunks, and queues nothing if one of them is not scheduled', () => {
    const dag = new DAG({ dagId: 'batch', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 't', retries: 3, retryDelay: 0 }));
    for (let i = 0; i < 300; i++) dag.add(new EmptyOperator({ taskId: `w${String(i).padStart(3, '0')}` }));
    const h = harness([dag]);
    const now = h.clock.now().toISOString();
    const [r1, r2] = [manual(dag, h, '2026-01-05T00:00:00Z'), manual(dag, h, '2026-01-06T00:00:00Z')];
    const t1 = { dagId: 'batch', runId: r1.run_id, taskId: 't' };
    const t2 = { dagId: 'batch', runId: r2.run_id, taskId: 't' };
    for (const k of [t1, t2]) {
      h.store.startDagRun(k, now);
      h.store.applyDecisions(k, dag.taskIds.map((taskId) => ({ taskId, from: null, to: 'scheduled' as const })), now);
    }
    // Run 1's t is at try 2 already (failed once, retried); run 2's is new.
    h.store.queueTis([t1], now, 'S');
    h.store.startAttempt({ key: t1, tryNumber: 1, queuedBy: 'S' }, { pid: 1, hostname: 'h' }, now);
    h.store.endAttempts([{ key: t1, tryNumber: 1, state: 'up_for_retry', nextRetryAt: now, xcoms: [], skip: [] }], now);
    h.store.scheduleDueRetries(now, { excludeBackfill: true });
    const wide = Array.from({ length: 300 }, (_, i) => ({ dagId: 'batch', runId: r2.run_id, taskId: `w${String(i).padStart(3, '0')}` }));
    expect(h.store.queueTis([t2, t1, ...wide], now, 'S')).toEqual([1, 2, ...wide.map(() => 1)]); // 301 of run 2: two chunks
    expect(h.store.listTis(t2).every((ti) => ti.state === 'queued' && ti.queued_by === 'S')).toBe(true);

    const w1 = { dagId: 'batch', runId: r1.run_id, taskId: 'w000' };
    expect(() => h.store.queueTis([w1, t1], now, 'S')).toThrow(/task instance batch\/.*\/t: illegal transition from 'queued' to 'queued'/);
    expect(h.store.getTi(w1)?.state).toBe('scheduled'); // the whole batch or nothing
  });

  it('applies decisions in batches, in decision order, and applies none if one of them finds another state', () => {
    const dag = new DAG({ dagId: 'decide', isPausedUponCreation: false });
    const ids = Array.from({ length: 600 }, (_, i) => `w${String(i).padStart(3, '0')}`);
    for (const taskId of ids) dag.add(new EmptyOperator({ taskId }));
    const h = harness([dag]);
    const now = h.clock.now().toISOString();
    const run = { dagId: 'decide', runId: manual(dag, h).run_id };
    h.store.startDagRun(run, now);
    // Three chunks of one transition, interleaved with another: the result follows the decisions' order.
    const decisions = ids.map((taskId, i) => ({ taskId, from: null, to: i % 7 === 3 ? ('skipped' as const) : ('scheduled' as const) }));
    const decided = h.store.applyDecisions(run, [...decisions].reverse(), now);
    expect(decided).toEqual([...decisions].reverse().map((d) => ({ taskId: d.taskId, mapIndex: -1, to: d.to })));
    const states = new Map(h.store.listTis(run).map((ti) => [ti.task_id, ti]));
    expect(states.get('w003')).toMatchObject({ state: 'skipped', end_date: now });
    expect(states.get('w004')).toMatchObject({ state: 'scheduled', end_date: null });

    // w599 is scheduled already: the batch is refused whole, naming it.
    h.store.clearTis([{ key: { ...run, taskId: 'w001' }, retries: 0 }], now);
    expect(() => h.store.applyDecisions(run, [{ taskId: 'w001', from: null, to: 'scheduled' }, { taskId: 'w599', from: null, to: 'scheduled' }], now)).toThrow(
      /task instance decide\/.*\/w599: illegal transition from 'scheduled' to 'scheduled'/,
    );
    expect(h.store.getTi({ ...run, taskId: 'w001' })?.state).toBeNull();
  });
});

describe('attempt ownership (fenced reports)', () => {
  it('refuses a stale report from an old try, a start by a scheduler that no longer owns the try, and a duplicate end', () => {
    const dag = new DAG({ dagId: 'fence', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 't', retries: 2, retryDelay: 0 }));
    const h = harness([dag]);
    const run = manual(dag, h);
    const now = h.clock.now().toISOString();
    const key = { dagId: 'fence', runId: run.run_id, taskId: 't' };
    const end = (tryNumber: number, state: 'success' | 'up_for_retry') => ({ key, tryNumber, state, nextRetryAt: state === 'up_for_retry' ? now : null, xcoms: [{ key: 'return_value', value: tryNumber }], skip: [] });
    h.store.startDagRun(key, now);
    h.store.applyDecisions(key, [{ taskId: 't', from: null, to: 'scheduled' }], now);
    // Try 1 is queued by scheduler A, which dies; B resets it and queues it again (same try number).
    h.store.queueTis([key], now, 'A');
    h.store.resetQueued({ excludeBackfill: true });
    expect(h.store.queueTis([key], now, 'B')).toEqual([1]);
    expect(() => h.store.startAttempt({ key, tryNumber: 1, queuedBy: 'A' }, { pid: 1, hostname: 'h' }, now)).toThrow(/illegal transition from 'queued' to 'running'/);
    // B puts it back (its worker died before starting it) and queues it again later: a job from the first queueing is refused.
    h.store.resetQueued({ excludeBackfill: true });
    const later = new Date(h.clock.now().getTime() + 1000).toISOString();
    expect(h.store.queueTis([key], later, 'B')).toEqual([1]);
    expect(() => h.store.startAttempt({ key, tryNumber: 1, queuedBy: 'B', queuedAt: now }, { pid: 1, hostname: 'h' }, now)).toThrow(/illegal transition from 'queued' to 'running'/);
    h.store.startAttempt({ key, tryNumber: 1, queuedBy: 'B', queuedAt: later }, { pid: 2, hostname: 'h' }, now);
    expect(h.store.endAttempts([end(1, 'up_for_retry')], now)).toEqual([{ state: 'up_for_retry' }]);
    h.store.scheduleDueRetries(now, { excludeBackfill: true });
    expect(h.store.queueTis([key], now, 'B')).toEqual([2]);
    h.store.startAttempt({ key, tryNumber: 2, queuedBy: 'B' }, { pid: 3, hostname: 'h' }, now);
    // A late report of try 1 (its worker thought it succeeded) must not touch try 2.
    const [stale] = h.store.endAttempts([end(1, 'success')], now);
    expect(stale && 'refused' in stale && stale.refused.message).toMatch(/try 1: illegal transition from 'running, at try 2' to 'success'/);
    expect(h.store.getTi(key)).toMatchObject({ state: 'running', try_number: 2, pid: 3 });
    expect(h.store.getXcom(key, 'return_value')).toBeUndefined();
    expect(h.store.heartbeatAttempt({ key, tryNumber: 1 }, now)).toEqual({ owned: false, state: 'running, at try 2' });
    expect(h.store.heartbeatAttempt({ key, tryNumber: 2 }, now)).toEqual({ owned: true });
    expect(h.store.endAttempts([end(2, 'success')], now)).toEqual([{ state: 'success' }]);
    // The same report twice: the second is refused, nothing changes.
    expect(h.store.endAttempts([end(2, 'success')], now)[0]).toHaveProperty('refused');
    expect(h.store.getTi(key)).toMatchObject({ state: 'success', try_number: 2 });
    expect(h.store.getXcom(key, 'return_value')).toBe(2);
  });
  it('keeps a cleared running attempt restarting until its end is recorded, then none', () => {
    const dag = new DAG({ dagId: 'rs', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 't' }));
    const h = harness([dag]);
    const run = manual(dag, h);
    const now = h.clock.now().toISOString();
    const key = { dagId: 'rs', runId: run.run_id, taskId: 't' };
    startedAttempt(h, key, { queuedBy: 'S', pid: 2, hostname: 'h' });
    expect(h.store.clearTis([{ key, retries: 0 }], now).map((t) => t.state)).toEqual(['restarting']);
    expect(h.store.hasUnfinishedTis(key)).toBe(true);
    expect(h.store.heartbeatAttempt({ key, tryNumber: 1 }, now)).toEqual({ owned: false, state: 'restarting' });
    expect(h.store.queueCandidates(10, { excludeBackfill: false }, ['default_pool'])).toEqual([]);
    expect(h.store.endAttempts([{ key, tryNumber: 1, state: 'failed', nextRetryAt: null, xcoms: [], skip: [] }], now)).toEqual([{ state: null }]);
    expect(h.store.getTi(key)).toMatchObject({ state: null, try_number: 1, max_tries: 1 });
  });
});

describe('zombies and recovery', () => {
  it('fails (and retries) a running attempt whose process is gone, and resets orphaned queued attempts', async () => {
    const dag = new DAG({ dagId: 'z', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 'lost', retries: 1, retryDelay: 0 }));
    dag.add(new EmptyOperator({ taskId: 'queued_only' }));
    const h = harness([dag], { scheduler: { isPidAlive: (pid) => pid !== 424242 } });
    const run = manual(dag, h);
    const now = h.clock.now().toISOString();
    const k = (taskId: string) => ({ dagId: 'z', runId: run.run_id, taskId });
    // What a killed scheduler leaves behind: one attempt running in a dead worker, one queued.
    h.store.startDagRun({ dagId: 'z', runId: run.run_id }, now);
    h.store.applyDecisions({ dagId: 'z', runId: run.run_id }, [{ taskId: 'lost', from: null, to: 'scheduled' }, { taskId: 'queued_only', from: null, to: 'scheduled' }], now);
    h.store.queueTis([k('lost'), k('queued_only')], now, 'dead-scheduler');
    h.store.startAttempt({ key: k('lost'), tryNumber: 1, queuedBy: 'dead-scheduler' }, { pid: 424242, hostname: hostname() }, now);
    expect(h.scheduler.recover(h.clock.now())).toEqual([{ ...k('queued_only'), mapIndex: -1 }]);
    expect(h.store.getTi(k('queued_only'))).toMatchObject({ state: 'scheduled', try_number: 0 });
    const r = h.scheduler.tick(h.clock.now());
    expect(r.zombies).toBe(1);
    await h.settle();
    h.clock.advance(1);
    await h.settle();
    expect(h.store.getTi(k('lost'))).toMatchObject({ state: 'success', try_number: 2 });
    expect(h.store.getTi(k('queued_only'))).toMatchObject({ state: 'success', try_number: 1 });
  });
  it('treats a running attempt on another host as a zombie only after the heartbeat threshold', async () => {
    const dag = new DAG({ dagId: 'zh', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 't' }));
    const h = harness([dag], { scheduler: { zombieThresholdS: 60, zombieCheckIntervalS: 0 } });
    const run = manual(dag, h);
    const key = { dagId: 'zh', runId: run.run_id, taskId: 't' };
    startedAttempt(h, key, { queuedBy: 'other-scheduler', pid: 1, hostname: 'elsewhere' });
    h.clock.advance(30);
    expect(h.scheduler.tick(h.clock.now()).zombies).toBe(0);
    h.clock.advance(31);
    expect(h.scheduler.tick(h.clock.now()).zombies).toBe(1);
    expect(h.store.getTi(key)!.state).toBe('failed');
  });
});
