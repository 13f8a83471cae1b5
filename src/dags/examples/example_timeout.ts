/**
 * executionTimeout: `slow` sleeps for 30 s but may run for 1 s, so its attempt is aborted (the shell
 * process is killed) and fails; with no retries the task ends `failed`, `after` is upstream_failed
 * and the run ends `failed`.
 *
 *   slow -> after
 */
import { DAG } from '../../engine/index.js';
import { BashOperator } from '../../operators/bash.js';
import { EmptyOperator } from '../../operators/empty.js';
import type { ExpectedOutcome } from './expected.js';

const dag = new DAG({
  dagId: 'example_timeout',
  description: 'a task that exceeds its executionTimeout',
  schedule: null,
  startDate: new Date('2026-01-01T00:00:00Z'),
  isPausedUponCreation: false,
  tags: ['example'],
  defaultArgs: { retries: 0 },
});

const slow = dag.add(new BashOperator({ taskId: 'slow', bashCommand: 'echo "sleeping 30 s"; sleep 30', executionTimeout: 1 }));
const after = dag.add(new EmptyOperator({ taskId: 'after' }));
slow.then(after);

export const expected: ExpectedOutcome = {
  run: 'failed',
  tasks: { slow: 'failed', after: 'upstream_failed' },
};

export default dag;
