/**
 * The smallest useful DAG: three shell commands in a row (Airflow's example_bash_operator, trimmed).
 *   a -> b -> c
 * Try it: `dagctl trigger example_bash_chain --wait`
 */
import { DAG } from '../../engine/index.js';
import { BashOperator } from '../../operators/bash.js';
import type { ExpectedOutcome } from './expected.js';

const dag = new DAG({
  dagId: 'example_bash_chain',
  description: 'a -> b -> c, each a shell command',
  schedule: '@daily',
  startDate: new Date('2026-01-01T00:00:00Z'),
  catchup: false,
  isPausedUponCreation: false,
  tags: ['example'],
  defaultArgs: { retries: 0 },
});

const a = dag.add(new BashOperator({ taskId: 'a', bashCommand: 'echo "a: starting the chain"' }));
const b = dag.add(new BashOperator({ taskId: 'b', bashCommand: 'echo "b: the middle"' }));
const c = dag.add(new BashOperator({ taskId: 'c', bashCommand: 'echo "c: done"' }));
a.then(b).then(c);

export const expected: ExpectedOutcome = {
  run: 'success',
  tasks: { a: 'success', b: 'success', c: 'success' },
};

export default dag;
