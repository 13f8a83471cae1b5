/**
 * Retries: `flaky` fails on its first try and succeeds on its second, one second later
 * (retries: 1, retryDelay: 1 s). Its log has one file per attempt:
 *   dagctl tasks logs example_retries <run_id> flaky --try 1
 *
 *   flaky -> report
 */
import { DAG } from '../../engine/index.js';
import { FunctionOperator } from '../../operators/function.js';
import type { ExpectedOutcome } from './expected.js';

const dag = new DAG({
  dagId: 'example_retries',
  description: 'a task that fails once, then succeeds on retry',
  schedule: null,
  startDate: new Date('2026-01-01T00:00:00Z'),
  isPausedUponCreation: false,
  tags: ['example'],
  defaultArgs: { retries: 1, retryDelay: 1 },
});

const flaky = dag.add(
  new FunctionOperator({
    taskId: 'flaky',
    fn: (ctx) => {
      if (ctx.tryNumber === 1) throw new Error('transient failure on the first try (on purpose)');
      ctx.logger.info({ tryNumber: ctx.tryNumber }, 'worked this time');
      return { succeededOnTry: ctx.tryNumber };
    },
  }),
);
const report = dag.add(
  new FunctionOperator({ taskId: 'report', fn: (ctx) => `flaky succeeded on try ${ctx.xcomPull(flaky)?.succeededOnTry}` }),
);
flaky.then(report);

export const expected: ExpectedOutcome = {
  run: 'success',
  tasks: { flaky: 'success', report: 'success' },
  tries: { flaky: 2, report: 1 },
  xcom: { flaky: { succeededOnTry: 2 }, report: 'flaky succeeded on try 2' },
};

export default dag;
