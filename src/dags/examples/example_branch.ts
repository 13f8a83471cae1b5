/**
 * Branching: `pick` returns the task id to follow; the other direct downstream task is skipped.
 * The join uses `none_failed_min_one_success` (under the default all_success the skip would
 * propagate and `join` would be skipped too; Airflow's classic pitfall).
 *
 *   start -> pick -> path_a ─┐
 *                 └> path_b ─┴> join
 *
 * Choose the other path with: `dagctl trigger example_branch -c '{"path": "b"}' --wait`
 */
import { DAG } from '../../engine/index.js';
import { BranchOperator } from '../../operators/branch.js';
import { EmptyOperator } from '../../operators/empty.js';
import { FunctionOperator } from '../../operators/function.js';
import type { ExpectedOutcome } from './expected.js';

const dag = new DAG({
  dagId: 'example_branch',
  description: 'branch on a param, join with none_failed_min_one_success',
  schedule: null,
  startDate: new Date('2026-01-01T00:00:00Z'),
  isPausedUponCreation: false,
  tags: ['example'],
  params: { path: 'a' },
});

const start = dag.add(new EmptyOperator({ taskId: 'start' }));
const pathA = dag.add(new FunctionOperator({ taskId: 'path_a', fn: () => 'took path a' }));
const pathB = dag.add(new FunctionOperator({ taskId: 'path_b', fn: () => 'took path b' }));
const pick = dag.add(new BranchOperator({ taskId: 'pick', fn: (ctx) => (ctx.params.path === 'b' ? pathB : pathA) }));
const join = dag.add(new EmptyOperator({ taskId: 'join', triggerRule: 'none_failed_min_one_success' }));
start.then(pick).then([pathA, pathB]);
pathA.then(join);
pathB.then(join);

/** With the default params (path 'a'). */
export const expected: ExpectedOutcome = {
  run: 'success',
  tasks: { start: 'success', pick: 'success', path_a: 'success', path_b: 'skipped', join: 'success' },
  xcom: { pick: ['path_a'], path_a: 'took path a' },
};

export default dag;
