import { describe, expect, it } from 'vitest';
import { chain, DAG } from '../../src/engine/index.js';
import { DagDefinitionError } from '../../src/engine/errors.js';
import { EmptyOperator } from '../../src/operators/empty.js';

const mk = (id = 'd') => new DAG({ dagId: id, schedule: null });

describe('DAG definition', () => {
  it('wires dependencies by object and orders tasks topologically', () => {
    const dag = mk();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => dag.add(new EmptyOperator({ taskId: id }))) as [EmptyOperator, EmptyOperator, EmptyOperator, EmptyOperator];
    chain(a, [b, c], d);
    expect(dag.topologicalOrder().map((t) => t.taskId)).toEqual(['a', 'b', 'c', 'd']);
    expect(d.upstreamTaskIds.sort()).toEqual(['b', 'c']);
    expect(dag.roots.map((t) => t.taskId)).toEqual(['a']);
    expect(dag.leaves.map((t) => t.taskId)).toEqual(['d']);
    expect([...dag.downstreamOf('a')].sort()).toEqual(['b', 'c', 'd']);
  });
  it('refuses a duplicate task id', () => {
    const dag = mk();
    dag.add(new EmptyOperator({ taskId: 'a' }));
    expect(() => dag.add(new EmptyOperator({ taskId: 'a' }))).toThrow(/duplicate task id 'a'/);
  });
  it('names the cycle', () => {
    const dag = mk();
    const a = dag.add(new EmptyOperator({ taskId: 'a' }));
    const b = dag.add(new EmptyOperator({ taskId: 'b' }));
    const c = dag.add(new EmptyOperator({ taskId: 'c' }));
    a.then(b).then(c).then(a);
    expect(() => dag.validate()).toThrow(DagDefinitionError);
    expect(() => dag.validate()).toThrow(/cycle detected: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/);
  });
  it('names a reference to a task that was never added', () => {
    const dag = mk();
    const a = dag.add(new EmptyOperator({ taskId: 'a' }));
    a.then(new EmptyOperator({ taskId: 'ghost' }));
    expect(() => dag.validate()).toThrow(/task 'a' refers to task 'ghost', which was not added/);
  });
  it('applies defaultArgs under task options and validates them by name', () => {
    const dag = new DAG({ dagId: 'x', defaultArgs: { retries: 2, retryDelay: 5 } });
    const t = dag.add(new EmptyOperator({ taskId: 't', retryDelay: 1 }));
    expect([t.retries, t.retryDelay]).toEqual([2, 1]);
    expect(() => new DAG({ dagId: 'y', defaultArgs: { retries: -1 } }).add(new EmptyOperator({ taskId: 't' }))).toThrow(/task 't': retries/);
    expect(() => new DAG({ dagId: 'bad id' })).toThrow(/dagId "bad id" is invalid/);
    expect(() => new DAG({ dagId: 'z', schedule: '@daily' })).toThrow(/needs a startDate/);
  });
  it('resolves an awaited task to a plain reference instead of wiring it', async () => {
    const dag = mk();
    const a = dag.add(new EmptyOperator({ taskId: 'a' }));
    const ref = (await Promise.resolve(a as unknown)) as { taskId: string };
    expect(ref.taskId).toBe('a');
    expect(a.downstream.size).toBe(0);
  });
});
