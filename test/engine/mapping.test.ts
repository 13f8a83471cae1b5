// Dynamic task mapping (Airflow 2.3+ semantics) on tick() with real SQLite and the in-process executor.
// Expected states are Airflow's: a mapped task has one instance per value; downstream tasks see all of them.
import { afterEach, describe, expect, it } from 'vitest';
import { createRun } from '../../src/engine/dagrun.js';
import { DAG, DagDefinitionError } from '../../src/engine/index.js';
import { taskLogPath } from '../../src/engine/executor/task-log.js';
import { combination, mapLength } from '../../src/engine/mapping.js';
import { BashOperator } from '../../src/operators/bash.js';
import { FunctionOperator } from '../../src/operators/function.js';
import { ShortCircuitOperator } from '../../src/operators/short-circuit.js';
import { cleanup, harness, type Harness } from './helpers.js';
import { existsSync, readFileSync } from 'node:fs';

afterEach(cleanup);

const start = (h: Harness, dag: DAG) => {
  const now = h.clock.now();
  return createRun(h.store, dag, { runType: 'manual', logicalDate: now, dataIntervalStart: now, dataIntervalEnd: now }, now);
};
/** map_index -> state of one task's instances. */
const instances = (h: Harness, dag: DAG, runId: string, taskId: string) =>
  Object.fromEntries(h.store.listTis({ dagId: dag.dagId, runId }).filter((t) => t.task_id === taskId).map((t) => [t.map_index, t.state]));

describe('dynamic task mapping', () => {
  it('runs one instance per literal value and hands downstream the results in map-index order', async () => {
    const dag = new DAG({ dagId: 'm_literal', isPausedUponCreation: false });
    const square = dag.add(FunctionOperator.partial({ taskId: 'square', fn: (_ctx, { x }) => (x as number) ** 2 }).expand({ opKwargs: [{ x: 3 }, { x: 1 }, { x: 2 }] }));
    const total = dag.add(new FunctionOperator({ taskId: 'total', fn: (ctx) => ctx.xcomPull(square)!.reduce<number>((a, b) => a + Number(b), 0) }));
    square.then(total);
    const h = harness([dag]);
    const run = start(h, dag);
    expect(instances(h, dag, run.run_id, 'square')).toEqual({ '-1': null }); // expanded once it may run
    await h.settle();
    expect(instances(h, dag, run.run_id, 'square')).toEqual({ 0: 'success', 1: 'success', 2: 'success' });
    expect(h.store.mappedXcoms({ dagId: dag.dagId, runId: run.run_id, taskId: 'square' }, 'return_value')).toEqual([9, 1, 4]);
    expect(h.store.getXcom({ dagId: dag.dagId, runId: run.run_id, taskId: 'total' }, 'return_value')).toBe(14);
    expect(h.store.getDagRun({ dagId: dag.dagId, runId: run.run_id })!.state).toBe('success');
    expect(square.operatorName).toBe('FunctionOperator');
    expect(h.events.filter((e) => e.type === 'task' && e.taskId === 'square' && e.state === 'success').map((e) => (e.type === 'task' ? e.mapIndex : null)).sort()).toEqual([0, 1, 2]);
  });

  it('expands over an upstream return value known only at run time, and maps over a mapped task', async () => {
    const dag = new DAG({ dagId: 'm_xcom', isPausedUponCreation: false });
    const list = dag.add(new FunctionOperator({ taskId: 'list', fn: () => [{ n: 'a' }, { n: 'b' }] }));
    const upper = dag.add(FunctionOperator.partial({ taskId: 'upper', fn: (_c, { n }) => ({ n: String(n).toUpperCase() }) }).expand({ opKwargs: list }));
    const twice = dag.add(FunctionOperator.partial({ taskId: 'twice', fn: (_c, { n }) => `${String(n)}${String(n)}` }).expand({ opKwargs: upper }));
    expect([...upper.upstream]).toEqual([list]); // expanding over a task depends on it
    expect([...twice.upstream]).toEqual([upper]);
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    expect(instances(h, dag, run.run_id, 'upper')).toEqual({ 0: 'success', 1: 'success' });
    expect(h.store.mappedXcoms({ dagId: dag.dagId, runId: run.run_id, taskId: 'twice' }, 'return_value')).toEqual(['AA', 'BB']);
  });

  it('expands a wide list into one instance per item, each with the task’s pool, weight and retries', async () => {
    const dag = new DAG({ dagId: 'm_wide', isPausedUponCreation: false });
    const list = dag.add(new FunctionOperator({ taskId: 'list', fn: () => Array.from({ length: 300 }, (_, i) => ({ i })) }));
    const each = dag.add(FunctionOperator.partial({ taskId: 'each', priorityWeight: 7, retries: 2, fn: (_c, { i }) => i as number }).expand({ opKwargs: list }));
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    const tis = h.store.listTis({ dagId: dag.dagId, runId: run.run_id }).filter((t) => t.task_id === each.taskId);
    expect(tis.map((t) => t.map_index)).toEqual(Array.from({ length: 300 }, (_, i) => i)); // the placeholder as index 0, and 299 new rows in 5 statements (256 + 32 + 8 + 2 + 1)
    expect(tis.every((t) => t.state === 'success' && t.pool === 'default_pool' && t.priority_weight === 7 && t.max_tries === 2)).toBe(true);
    expect(h.store.mappedXcoms({ dagId: dag.dagId, runId: run.run_id, taskId: 'each' }, 'return_value')).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('skips a mapped task whose list is empty, and what needs it, and the run succeeds', async () => {
    const dag = new DAG({ dagId: 'm_empty', isPausedUponCreation: false });
    const list = dag.add(new FunctionOperator({ taskId: 'list', fn: () => [] }));
    const each = dag.add(FunctionOperator.partial({ taskId: 'each', fn: () => 1 }).expand({ opKwargs: list }));
    const after = dag.add(new FunctionOperator({ taskId: 'after', fn: () => 1 }));
    const always = dag.add(new FunctionOperator({ taskId: 'always', triggerRule: 'all_done', fn: () => 1 }));
    each.then([after, always]);
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    expect(h.states(run.run_id)).toEqual({ list: 'success', each: 'skipped', after: 'skipped', always: 'success' });
    expect(instances(h, dag, run.run_id, 'each')).toEqual({ '-1': 'skipped' });
    expect(h.store.getDagRun({ dagId: dag.dagId, runId: run.run_id })!.state).toBe('success');
  });

  it('with one failed instance: the others still succeed, all_success downstream is upstream_failed, one_success runs, the run fails', async () => {
    const dag = new DAG({ dagId: 'm_fail', isPausedUponCreation: false });
    const each = dag.add(
      FunctionOperator.partial({ taskId: 'each', fn: (_c, { x }) => { if (x === 2) throw new Error('two is bad'); return x as number; } }).expand({ opKwargs: [{ x: 1 }, { x: 2 }, { x: 3 }] }),
    );
    const all = dag.add(new FunctionOperator({ taskId: 'all', fn: () => 1 }));
    const one = dag.add(new FunctionOperator({ taskId: 'one', triggerRule: 'one_success', fn: (ctx) => ctx.xcomPull(each) }));
    each.then([all, one]);
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    expect(instances(h, dag, run.run_id, 'each')).toEqual({ 0: 'success', 1: 'failed', 2: 'success' });
    expect(h.states(run.run_id)).toMatchObject({ all: 'upstream_failed', one: 'success' });
    // Only the instances that returned something are in the list (Airflow's lazy sequence over existing XComs).
    expect(h.store.getXcom({ dagId: dag.dagId, runId: run.run_id, taskId: 'one' }, 'return_value')).toEqual([1, 3]);
    expect(h.store.getDagRun({ dagId: dag.dagId, runId: run.run_id })!.state).toBe('failed');
  });

  it('fails the upstream task when what it returns to a mapping is not a list; the mapped task is upstream_failed', async () => {
    const dag = new DAG({ dagId: 'm_unmappable', isPausedUponCreation: false });
    const list = dag.add(new FunctionOperator({ taskId: 'list', fn: () => ({ not: 'a list' }) }));
    dag.add(FunctionOperator.partial({ taskId: 'each', fn: () => 1 }).expand({ opKwargs: list }));
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    expect(h.states(run.run_id)).toEqual({ list: 'failed', each: 'upstream_failed' });
  });

  it('retries and clears per map index: only that instance runs again', async () => {
    let calls: number[] = [];
    let failOnce = true;
    const dag = new DAG({ dagId: 'm_retry', isPausedUponCreation: false });
    dag.add(
      FunctionOperator.partial({
        taskId: 'each',
        retries: 1,
        retryDelay: 60,
        fn: (_c, { x }) => {
          calls.push(x as number);
          if (x === 1 && failOnce) throw new Error('flaky');
          return x as number;
        },
      }).expand({ opKwargs: [{ x: 0 }, { x: 1 }, { x: 2 }] }),
    );
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    expect(instances(h, dag, run.run_id, 'each')).toEqual({ 0: 'success', 1: 'up_for_retry', 2: 'success' });
    failOnce = false;
    h.clock.advance(61_000);
    await h.settle();
    expect(instances(h, dag, run.run_id, 'each')).toEqual({ 0: 'success', 1: 'success', 2: 'success' });
    expect(h.store.listTis({ dagId: dag.dagId, runId: run.run_id }).map((t) => t.try_number)).toEqual([1, 2, 1]);
    expect(calls.sort()).toEqual([0, 1, 1, 2]);
    calls = [];
    h.store.clearTis([{ key: { dagId: dag.dagId, runId: run.run_id, taskId: 'each', mapIndex: 2 }, retries: 1 }], h.clock.now().toISOString());
    await h.settle();
    expect(calls).toEqual([2]);
    expect(h.store.getTi({ dagId: dag.dagId, runId: run.run_id, taskId: 'each', mapIndex: 2 })).toMatchObject({ state: 'success', try_number: 2 });
    expect(h.store.getDagRun({ dagId: dag.dagId, runId: run.run_id })!.state).toBe('success');
  });

  it('after a clear, revises its instances to a new list length: new indexes are created, those beyond are removed', async () => {
    let items = [1, 2, 3];
    const dag = new DAG({ dagId: 'm_revise', isPausedUponCreation: false });
    const list = dag.add(new FunctionOperator({ taskId: 'list', fn: () => items.map((x) => ({ x })) }));
    dag.add(FunctionOperator.partial({ taskId: 'each', fn: (_c, { x }) => x as number }).expand({ opKwargs: list }));
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    expect(instances(h, dag, run.run_id, 'each')).toEqual({ 0: 'success', 1: 'success', 2: 'success' });
    items = [7, 8];
    const all = h.store.listTis({ dagId: dag.dagId, runId: run.run_id });
    h.store.clearTis(all.map((t) => ({ key: { dagId: dag.dagId, runId: run.run_id, taskId: t.task_id, mapIndex: t.map_index }, retries: 0 })), h.clock.now().toISOString());
    await h.settle();
    expect(instances(h, dag, run.run_id, 'each')).toEqual({ 0: 'success', 1: 'success', 2: 'removed' });
    expect(h.store.mappedXcoms({ dagId: dag.dagId, runId: run.run_id, taskId: 'each' }, 'return_value')).toEqual([7, 8]);
    expect(h.store.getDagRun({ dagId: dag.dagId, runId: run.run_id })!.state).toBe('success');
  });

  it('maxActiveTisPerDag caps the instances in flight at once', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const dag = new DAG({ dagId: 'm_cap', isPausedUponCreation: false });
    dag.add(FunctionOperator.partial({ taskId: 'each', maxActiveTisPerDag: 2, fn: async () => { await gate; return 1; } }).expand({ opKwargs: [{}, {}, {}, {}, {}] }));
    const h = harness([dag], { parallelism: 8 });
    const run = start(h, dag);
    h.scheduler.tick(h.clock.now());
    h.scheduler.tick(h.clock.now());
    const inFlight = h.store.listTis({ dagId: dag.dagId, runId: run.run_id }).filter((t) => t.state === 'queued' || t.state === 'running');
    expect(inFlight).toHaveLength(2);
    open();
    await h.settle();
    expect(Object.values(instances(h, dag, run.run_id, 'each'))).toEqual(Array(5).fill('success'));
  });

  it('maps a BashOperator over a list of commands, each instance logging under map_index=N', async () => {
    const dag = new DAG({ dagId: 'm_bash', isPausedUponCreation: false });
    dag.add(BashOperator.partial({ taskId: 'echo' }).expand({ bashCommand: ['echo one', 'echo two'] }));
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    expect(h.store.mappedXcoms({ dagId: dag.dagId, runId: run.run_id, taskId: 'echo' }, 'return_value')).toEqual(['one', 'two']);
    const log = taskLogPath(h.dir, { dagId: dag.dagId, runId: run.run_id, taskId: 'echo', mapIndex: 1, tryNumber: 1 });
    expect(log).toContain(`task_id=echo/map_index=1/attempt=1.log`);
    if (existsSync(log)) expect(readFileSync(log, 'utf8')).toContain('two');
  });

  it('combines several mapped arguments as a cross product, the first varying slowest', () => {
    const lists = [['a', 'b'], [1, 2, 3]];
    expect(mapLength(lists)).toBe(6);
    expect([0, 1, 2, 3, 4, 5].map((i) => combination(lists, i).join(''))).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    expect(() => combination(lists, 6)).toThrow(/out of range/);
  });

  it('refuses a mapping it cannot run, naming the task', () => {
    expect(() => FunctionOperator.partial({ taskId: 'x', fn: () => 1 }).expand({})).toThrow(DagDefinitionError);
    expect(() => FunctionOperator.partial({ taskId: 'x', fn: () => 1, opKwargs: {} }).expand({ opKwargs: [{}] })).toThrow(/both partial\(\) and expand\(\)/);
    expect(() => FunctionOperator.partial({ taskId: 'x', fn: () => 1 }).expand({ opKwargs: 'nope' as never })).toThrow(/must be a list or an upstream task/);
  });

  it('brings removed instances back when the list grows again, and a revise that leaves nothing waiting changes nothing', async () => {
    let items = [1, 2, 3, 4, 5];
    const dag = new DAG({ dagId: 'm_regrow', isPausedUponCreation: false });
    const list = dag.add(new FunctionOperator({ taskId: 'list', fn: () => items.map((x) => ({ x })) }));
    dag.add(FunctionOperator.partial({ taskId: 'each', fn: (_c, { x }) => x as number }).expand({ opKwargs: list }));
    const h = harness([dag]);
    const run = start(h, dag);
    const clearAll = (states?: string[]) => {
      const tis = h.store.listTis({ dagId: dag.dagId, runId: run.run_id }).filter((t) => !states || states.includes(t.state ?? 'none'));
      h.store.clearTis(tis.map((t) => ({ key: { dagId: dag.dagId, runId: run.run_id, taskId: t.task_id, mapIndex: t.map_index }, retries: 0 })), h.clock.now().toISOString());
    };
    await h.settle();
    items = [1, 2, 3];
    clearAll();
    await h.settle();
    expect(instances(h, dag, run.run_id, 'each')).toEqual({ 0: 'success', 1: 'success', 2: 'success', 3: 'removed', 4: 'removed' });
    items = [1, 2, 3, 4, 5];
    clearAll(['success']); // as an only-failed clear would leave the removed ones alone
    await h.settle();
    expect(instances(h, dag, run.run_id, 'each')).toEqual({ 0: 'success', 1: 'success', 2: 'success', 3: 'success', 4: 'success' });
    // Shrunk to two, then only the last instance cleared: after the revise nothing of it waits, and nothing breaks.
    items = [1, 2];
    h.store.clearTis(
      [{ key: { dagId: dag.dagId, runId: run.run_id, taskId: 'list' }, retries: 0 }, { key: { dagId: dag.dagId, runId: run.run_id, taskId: 'each', mapIndex: 4 }, retries: 0 }],
      h.clock.now().toISOString(),
    );
    await h.settle();
    expect(instances(h, dag, run.run_id, 'each')[4]).toBe('removed');
    expect(h.store.getDagRun({ dagId: dag.dagId, runId: run.run_id })!.state).toBe('success');
  });

  it('a task at its maxActiveTisPerDag does not starve other work of the queue', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const dag = new DAG({ dagId: 'm_starve', isPausedUponCreation: false });
    dag.add(FunctionOperator.partial({ taskId: 'capped', maxActiveTisPerDag: 1, priorityWeight: 100, fn: async () => { await gate; return 1; } }).expand({ opKwargs: Array.from({ length: 30 }, () => ({})) }));
    dag.add(new FunctionOperator({ taskId: 'other', fn: () => 1 }));
    const h = harness([dag], { parallelism: 4 });
    const run = start(h, dag);
    h.scheduler.tick(h.clock.now());
    h.scheduler.tick(h.clock.now());
    const ofTask = (id: string) => h.store.listTis({ dagId: dag.dagId, runId: run.run_id }).filter((t) => t.task_id === id);
    expect(ofTask('capped').filter((t) => t.state === 'queued' || t.state === 'running')).toHaveLength(1);
    expect(ofTask('other')[0]!.state).not.toBe('scheduled');
    open();
    await h.settle(200);
    expect(h.store.getDagRun({ dagId: dag.dagId, runId: run.run_id })!.state).toBe('success');
  });

  it('a mapped short-circuit instance skips the mapped task’s downstream', async () => {
    const dag = new DAG({ dagId: 'm_short', isPausedUponCreation: false });
    const checks = dag.add(ShortCircuitOperator.partial({ taskId: 'check' }).expand({ fn: [() => true, () => false] }));
    const after = dag.add(new FunctionOperator({ taskId: 'after', fn: () => 1 }));
    checks.then(after);
    const h = harness([dag]);
    const run = start(h, dag);
    await h.settle();
    expect(instances(h, dag, run.run_id, 'check')).toEqual({ 0: 'success', 1: 'success' });
    expect(h.states(run.run_id).after).toBe('skipped');
  });
});
