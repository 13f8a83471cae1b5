/**
 * XCom: a task's return value is stored as its `return_value`; downstream tasks pull it by task
 * object (typed) or id. `xcomPush` stores more values under other keys. Values are JSON.
 *
 *   produce -> double -> summarize
 *
 * `dagctl trigger example_xcom -c '{"n": 5}' --wait` changes the input.
 */
import { DAG } from '../../engine/index.js';
import { FunctionOperator } from '../../operators/function.js';
import type { ExpectedOutcome } from './expected.js';

const dag = new DAG({
  dagId: 'example_xcom',
  description: 'pass values between tasks with XCom',
  schedule: null,
  startDate: new Date('2026-01-01T00:00:00Z'),
  isPausedUponCreation: false,
  tags: ['example'],
  params: { n: 21 },
});

const produce = dag.add(
  new FunctionOperator({
    taskId: 'produce',
    fn: (ctx) => {
      ctx.xcomPush('unit', 'apples');
      return { n: Number(ctx.params.n) };
    },
  }),
);
const double = dag.add(new FunctionOperator({ taskId: 'double', fn: (ctx) => (ctx.xcomPull(produce)?.n ?? 0) * 2 }));
const summarize = dag.add(
  new FunctionOperator({
    taskId: 'summarize',
    fn: (ctx) => `${String(ctx.xcomPull('double'))} ${String(ctx.xcomPull(produce, 'unit'))}`,
  }),
);
produce.then(double).then(summarize);

/** With the default params (n = 21). */
export const expected: ExpectedOutcome = {
  run: 'success',
  tasks: { produce: 'success', double: 'success', summarize: 'success' },
  xcom: { produce: { n: 21 }, double: 42, summarize: '42 apples' },
};

export default dag;
