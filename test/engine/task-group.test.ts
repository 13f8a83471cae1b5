// Task groups (Airflow's TaskGroup): prefixed ids, wiring a group like a task, nesting, and a run through them.
import { afterEach, describe, expect, it } from 'vitest';
import { createRun } from '../../src/engine/dagrun.js';
import { chain, DAG, TaskGroup } from '../../src/engine/index.js';
import { dagAsDot, dagAsText } from '../../src/engine/show.js';
import { BranchOperator } from '../../src/operators/branch.js';
import { EmptyOperator } from '../../src/operators/empty.js';
import { FunctionOperator } from '../../src/operators/function.js';
import { cleanup, harness } from './helpers.js';

afterEach(cleanup);
const empty = (taskId: string): EmptyOperator => new EmptyOperator({ taskId });

/** start -> extract{a, b -> c} -> load{inner{x}} -> end */
function etl(): { dag: DAG; extract: TaskGroup; load: TaskGroup; inner: TaskGroup } {
  const dag = new DAG({ dagId: 'etl', isPausedUponCreation: false });
  const start = dag.add(empty('start'));
  const extract = dag.group('extract', { tooltip: 'pull the sources' });
  extract.add(empty('a'));
  extract.add(empty('b')).then(extract.add(empty('c')));
  const load = dag.group('load');
  const inner = load.group('inner');
  inner.add(empty('x'));
  const end = dag.add(empty('end'));
  chain(start, extract, load, end);
  return { dag, extract, load, inner };
}

describe('task groups', () => {
  it("prefix their tasks' ids with the group id, nested groups with each parent's", () => {
    const { dag, extract, inner } = etl();
    expect(dag.taskIds.sort()).toEqual(['end', 'extract.a', 'extract.b', 'extract.c', 'load.inner.x', 'start']);
    expect(extract.tasks.map((t) => t.taskId)).toEqual(['extract.a', 'extract.b', 'extract.c']);
    expect(inner.groupId).toBe('load.inner');
    expect(dag.task('extract.a')?.taskGroup).toBe('extract');
    expect(dag.groups.map((g) => g.groupId)).toEqual(['extract', 'load', 'load.inner']);
  });

  it('are wired like tasks: upstream to their first tasks, downstream from their last', () => {
    const { dag, extract } = etl();
    expect(extract.roots.map((t) => t.taskId)).toEqual(['extract.a', 'extract.b']);
    expect(extract.leaves.map((t) => t.taskId)).toEqual(['extract.a', 'extract.c']);
    expect(dag.task('start')!.downstreamTaskIds.sort()).toEqual(['extract.a', 'extract.b']);
    expect(dag.task('load.inner.x')!.upstreamTaskIds.sort()).toEqual(['extract.a', 'extract.c']);
    expect(dag.task('end')!.upstreamTaskIds).toEqual(['load.inner.x']);
    expect(dag.task('extract.b')!.upstreamTaskIds).toEqual(['start']); // not wired to what is inside its own group
  });

  it('refuse bad ids, duplicates, a task added twice, and wiring an empty group, naming what is wrong', () => {
    const dag = new DAG({ dagId: 'bad' });
    expect(() => dag.group('has.dot')).toThrow(/task group id "has.dot" is invalid/);
    const g = dag.group('g');
    expect(() => dag.group('g')).toThrow(/duplicate task group id 'g'/);
    expect(() => dag.add(empty('g'))).toThrow(/duplicate task id 'g'/);
    const t = dag.add(empty('t'));
    expect(() => g.add(t)).toThrow(/already in DAG 'bad': add it to the group instead/);
    expect(() => g.then(t)).toThrow(/task group 'g' is empty/);
    expect(() => t.then(g)).toThrow(/task group 'g' is empty/);
    g.add(empty('inside'));
    expect(() => g.add(empty('inside'))).toThrow(/duplicate task id 'g.inside'/);
  });

  it('run as their tasks do; XCom is pulled by the prefixed id', async () => {
    const dag = new DAG({ dagId: 'grun', isPausedUponCreation: false });
    const g = dag.group('g');
    const produce = g.add(new FunctionOperator({ taskId: 'produce', fn: () => 21 }));
    g.add(new FunctionOperator({ taskId: 'double', fn: (ctx) => Number(ctx.xcomPull(produce)) * 2 }));
    produce.then(dag.task('g.double')!);
    const report = dag.add(new FunctionOperator({ taskId: 'report', fn: (ctx) => ctx.xcomPull('g.double') }));
    g.then(report);
    const h = harness([dag]);
    const now = h.clock.now();
    const run = createRun(h.store, dag, { runType: 'manual', logicalDate: now, dataIntervalStart: now, dataIntervalEnd: now }, now);
    await h.settle();
    expect(h.states(run.run_id)).toEqual({ 'g.produce': 'success', 'g.double': 'success', report: 'success' });
    expect(h.store.getXcom({ dagId: 'grun', runId: run.run_id, taskId: 'report' }, 'return_value')).toBe(42);
  });

  it('can be followed by a branch: returned by object (also from an async callable) or by id, its first tasks run', async () => {
    const build = (pick: (g: TaskGroup) => unknown) => {
      const dag = new DAG({ dagId: 'gbranch', isPausedUponCreation: false });
      const chosen = dag.group('chosen');
      chosen.add(empty('first')).then(chosen.add(empty('second')));
      const other = dag.add(empty('other'));
      const branch = dag.add(new BranchOperator({ taskId: 'branch', fn: () => pick(chosen) as string }));
      branch.then([chosen, other]);
      return dag;
    };
    // A promise resolved with the group (what an async callable returning it does) awaits it as a thenable.
    for (const pick of [(g: TaskGroup) => g, (g: TaskGroup) => new Promise<unknown>((r) => r(g)), (g: TaskGroup) => g.groupId]) {
      const dag = build(pick);
      const h = harness([dag]);
      const now = h.clock.now();
      const run = createRun(h.store, dag, { runType: 'manual', logicalDate: now, dataIntervalStart: now, dataIntervalEnd: now }, now);
      await h.settle();
      expect(h.states(run.run_id)).toEqual({ branch: 'success', 'chosen.first': 'success', 'chosen.second': 'success', other: 'skipped' });
      cleanup();
    }
  });

  it('show in `dags show`: listed in text, as nested clusters in DOT', () => {
    const { dag } = etl();
    const text = dagAsText(dag);
    expect(text).toContain('[group extract] extract.a, extract.b, extract.c');
    expect(text).toContain('[group load.inner] load.inner.x');
    expect(text).toContain('start (EmptyOperator) -> extract.a, extract.b');
    const dot = dagAsDot(dag);
    expect(dot).toMatch(/subgraph "cluster_load" \{\n\s+label="load";[\s\S]*subgraph "cluster_load.inner" \{[\s\S]*"load.inner.x"/);
    expect(dot).toContain('"extract.c" -> "load.inner.x";');
  });
});
