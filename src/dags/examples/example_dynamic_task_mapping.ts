/**
 * Dynamic task mapping (Airflow 2.3+): `Operator.partial({...shared}).expand({ option: list })` adds one task
 * that runs once per value. The list is known when the DAG is written (add_one) or only when an upstream
 * task has run (greet, over what make_names returned). Downstream tasks pull a mapped task's results as
 * one list, in map-index order.
 *
 *   add_one[0..2] -> sum_it
 *   make_names -> greet[0..n-1]
 *
 * `dagctl tasks states-for-dag-run example_dynamic_task_mapping <run_id>` lists each instance with its map index.
 */
import { DAG } from '../../engine/index.js';
import { BashOperator } from '../../operators/bash.js';
import { FunctionOperator } from '../../operators/function.js';
import type { ExpectedOutcome } from './expected.js';

const dag = new DAG({
  dagId: 'example_dynamic_task_mapping',
  description: 'run a task once per value of a list, known now or at run time',
  schedule: null,
  startDate: new Date('2026-01-01T00:00:00Z'),
  isPausedUponCreation: false,
  tags: ['example'],
});

const addOne = dag.add(FunctionOperator.partial({ taskId: 'add_one', fn: (_ctx, { x }) => Number(x) + 1 }).expand({ opKwargs: [{ x: 1 }, { x: 2 }, { x: 3 }] }));
const sumIt = dag.add(
  new FunctionOperator({
    taskId: 'sum_it',
    fn: (ctx) => {
      const total = (ctx.xcomPull(addOne) ?? []).reduce<number>((a, b) => a + Number(b), 0);
      ctx.log.info(`Total was ${total}`);
      return total;
    },
  }),
);
addOne.then(sumIt);

const makeNames = dag.add(new FunctionOperator({ taskId: 'make_names', fn: () => ['echo hello ada', 'echo hello grace'] }));
dag.add(BashOperator.partial({ taskId: 'greet', maxActiveTisPerDag: 1 }).expand({ bashCommand: makeNames }));

export const expected: ExpectedOutcome = {
  run: 'success',
  tasks: { add_one: 'success', sum_it: 'success', make_names: 'success', greet: 'success' },
  xcom: { add_one: [2, 3, 4], sum_it: 9, greet: ['hello ada', 'hello grace'] },
};

export default dag;
