// Pools (Airflow's slot_pool), enforced when queueing, and the downstream weight rule, on tick() with real SQLite.
import { afterEach, describe, expect, it } from 'vitest';
import { syncBag } from '../../src/engine/bag-sync.js';
import { bagOf } from '../../src/engine/dagbag.js';
import { createRun } from '../../src/engine/dagrun.js';
import { DAG } from '../../src/engine/index.js';
import { failedDepsOf } from '../../src/engine/inspect.js';
import { EmptyOperator } from '../../src/operators/empty.js';
import { FunctionOperator } from '../../src/operators/function.js';
import { cleanup, harness } from './helpers.js';

afterEach(cleanup);

/** Tasks that hold their slot until the test opens the gate. */
function gate(): { wait: () => Promise<string>; open: () => void } {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { wait: () => p.then(() => 'done'), open };
}

const start = (h: ReturnType<typeof harness>, dag: DAG) => {
  const now = h.clock.now();
  return createRun(h.store, dag, { runType: 'manual', logicalDate: now, dataIntervalStart: now, dataIntervalEnd: now }, now);
};

describe('pools', () => {
  it('limit the slots taken across DAGs at once, count pool_slots, and leave other pools alone', async () => {
    const g = gate();
    const a = new DAG({ dagId: 'pa', isPausedUponCreation: false });
    for (const id of ['a1', 'a2', 'a3']) a.add(new FunctionOperator({ taskId: id, pool: 'shared', fn: g.wait }));
    a.add(new FunctionOperator({ taskId: 'free', fn: g.wait })); // default_pool
    const b = new DAG({ dagId: 'pb', isPausedUponCreation: false });
    b.add(new FunctionOperator({ taskId: 'big', pool: 'shared', poolSlots: 2, priorityWeight: 10, fn: g.wait }));
    b.add(new FunctionOperator({ taskId: 'b1', pool: 'shared', fn: g.wait }));
    const h = harness([a, b], { parallelism: 16 });
    expect(h.store.getPool('shared')).toEqual({ pool: 'shared', slots: 1, description: expect.stringContaining('dagctl pools set') }); // created by the DAG sync
    h.store.setPool('shared', 3);
    const ra = start(h, a);
    const rb = start(h, b);
    h.scheduler.tick(h.clock.now());
    const inFlight = () => [...h.store.listTis({ dagId: 'pa', runId: ra.run_id }), ...h.store.listTis({ dagId: 'pb', runId: rb.run_id })]
      .filter((t) => t.state === 'queued' || t.state === 'running')
      .map((t) => t.task_id)
      .sort();
    // big (weight 10, 2 slots) goes first; one slot is left for one more of the shared pool; `free` is not in it.
    const running = inFlight();
    expect(running).toEqual(expect.arrayContaining(['big', 'free']));
    expect(running.filter((t) => t !== 'big' && t !== 'free')).toHaveLength(1);
    expect(h.store.inFlightCounts().slotsPerPool.get('shared')).toBe(3);
    const held = ['a1', 'a2', 'a3'].find((t) => !running.includes(t))!;
    const waiting = h.store.getTi({ dagId: 'pa', runId: ra.run_id, taskId: held })!;
    expect(failedDepsOf(h.store, a, h.store.getDagRun({ dagId: 'pa', runId: ra.run_id })!, waiting, h.clock.now())).toEqual([
      'Not scheduling since there are 0 open slots in pool shared and require 1 pool slots',
    ]);
    g.open();
    await h.settle();
    expect(h.states(ra.run_id, 'pa')).toEqual({ a1: 'success', a2: 'success', a3: 'success', free: 'success' });
    expect(h.states(rb.run_id, 'pb')).toEqual({ big: 'success', b1: 'success' });
  });

  it('hold back a task whose pool does not exist, explaining why, and let the others run', async () => {
    const dag = new DAG({ dagId: 'gone', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 'stuck', pool: 'vanished' }));
    dag.add(new EmptyOperator({ taskId: 'fine' }));
    const h = harness([dag]);
    h.store.deletePool('vanished');
    const run = start(h, dag);
    await h.settle();
    expect(h.states(run.run_id)).toEqual({ stuck: 'scheduled', fine: 'success' });
    const ti = h.store.getTi({ dagId: 'gone', runId: run.run_id, taskId: 'stuck' })!;
    expect(failedDepsOf(h.store, dag, h.store.getDagRun({ dagId: 'gone', runId: run.run_id })!, ti, h.clock.now())).toEqual([
      "Tasks using non-existent pool 'vanished' will not be scheduled (create it with `dagctl pools set vanished N`).",
    ]);
    h.store.setPool('vanished', 1);
    await h.settle();
    expect(h.states(run.run_id)).toEqual({ stuck: 'success', fine: 'success' });
  });

  it('are created with one slot when a DAG names one that does not exist, and default_pool has 128', () => {
    const dag = new DAG({ dagId: 'mk' });
    dag.add(new EmptyOperator({ taskId: 't', pool: 'training' }));
    const h = harness([]);
    expect(h.store.listPools()).toEqual([{ pool: 'default_pool', slots: 128, description: 'Default pool' }]);
    expect(syncBag(h.store, bagOf([dag]), h.clock.now())).toEqual(['training']);
    expect(syncBag(h.store, bagOf([dag]), h.clock.now())).toEqual([]); // only once
    expect(h.store.getPool('training')?.slots).toBe(1);
  });

  it('refuse bad pool options on a task, naming the task', () => {
    const dag = new DAG({ dagId: 'bad' });
    expect(() => dag.add(new EmptyOperator({ taskId: 't', poolSlots: 0 }))).toThrow(/task 't': poolSlots must be a whole number >= 1, got 0/);
    expect(() => dag.add(new EmptyOperator({ taskId: 'u', pool: 'no spaces' }))).toThrow(/pool "no spaces" is invalid/);
    expect(() => dag.add(new EmptyOperator({ taskId: 'v', weightRule: 'sideways' as never }))).toThrow(/weightRule 'sideways' is unknown/);
  });

  it('are read from the task again when its task instance is cleared (Airflow refresh_from_task)', () => {
    const dag = new DAG({ dagId: 'rf', isPausedUponCreation: false });
    dag.add(new EmptyOperator({ taskId: 't', pool: 'old' }));
    const h = harness([dag]);
    const run = start(h, dag);
    const key = { dagId: 'rf', runId: run.run_id, taskId: 't' };
    h.store.markTi(key, 'failed', h.clock.now().toISOString());
    // The DAG file changed: the task moved to another pool, with more slots and weight.
    h.store.clearTis([{ key, retries: 0, pool: { pool: 'new', poolSlots: 2, priorityWeight: 9 } }], h.clock.now().toISOString());
    expect(h.store.getTi(key)).toMatchObject({ state: null, pool: 'new', pool_slots: 2, priority_weight: 9 });
    h.store.markTi(key, 'failed', h.clock.now().toISOString());
    h.store.clearTis([{ key, retries: 0 }], h.clock.now().toISOString());
    expect(h.store.getTi(key)).toMatchObject({ pool: 'new', pool_slots: 2 }); // kept when not given
  });
});

describe('priority weight rules (Airflow default: downstream)', () => {
  it('adds the weights of everything downstream (or upstream), or keeps its own (absolute)', () => {
    const dag = new DAG({ dagId: 'w', isPausedUponCreation: false });
    const a = dag.add(new EmptyOperator({ taskId: 'a' }));
    const b = dag.add(new EmptyOperator({ taskId: 'b', priorityWeight: 5 }));
    const c = dag.add(new EmptyOperator({ taskId: 'c' }));
    const up = dag.add(new EmptyOperator({ taskId: 'up', weightRule: 'upstream' }));
    const abs = dag.add(new EmptyOperator({ taskId: 'abs', priorityWeight: 7, weightRule: 'absolute' }));
    a.then(b).then(c).then([up, abs]);
    expect(Object.fromEntries(dag.taskIds.map((id) => [id, dag.priorityOf(id)]))).toEqual({ a: 1 + 5 + 1 + 1 + 7, b: 5 + 1 + 1 + 7, c: 1 + 1 + 7, up: 1 + 1 + 5 + 1, abs: 7 });
    const h = harness([dag]);
    const run = start(h, dag);
    expect(h.store.getTi({ dagId: 'w', runId: run.run_id, taskId: 'a' })!.priority_weight).toBe(15);
  });
});
