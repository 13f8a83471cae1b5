/**
 * Sensors: `wait_for_file` pokes every 0.2 s until the file that `schedule_file` arranges to appear
 * (one second later, in the background) exists; then `report` runs. `never_ready` waits for a
 * condition that never holds: after its 1 s timeout, softFail makes it `skipped` instead of `failed`.
 *
 *   schedule_file -> wait_for_file -> report
 *   never_ready
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DAG, type TaskContext } from '../../engine/index.js';
import { BashOperator } from '../../operators/bash.js';
import { FunctionOperator } from '../../operators/function.js';
import { FunctionSensor } from '../../operators/sensor.js';
import type { ExpectedOutcome } from './expected.js';

/** One flag file per run, under DAGCTL_HOME. */
const flagFile = (ctx: TaskContext): string => path.join(ctx.home, 'tmp', 'example_sensor', `${ctx.runId.replace(/[^\w.-]/g, '_')}.ready`);

const dag = new DAG({
  dagId: 'example_sensor',
  description: 'wait for a file with a sensor; a soft-failing sensor ends skipped',
  schedule: null,
  startDate: new Date('2026-01-01T00:00:00Z'),
  isPausedUponCreation: false,
  tags: ['example'],
});

const scheduleFile = dag.add(
  new BashOperator({
    taskId: 'schedule_file',
    // The subshell outlives this task (its output is detached), so the sensor really has to wait.
    bashCommand: (ctx) => {
      const file = JSON.stringify(flagFile(ctx));
      return `mkdir -p "$(dirname ${file})" && (sleep 1 && touch ${file}) >/dev/null 2>&1 & echo "the file appears in 1 s"`;
    },
  }),
);
const waitForFile = dag.add(
  new FunctionSensor({ taskId: 'wait_for_file', pokeInterval: 0.2, timeout: 30, fn: (ctx) => existsSync(flagFile(ctx)) }),
);
const report = dag.add(new FunctionOperator({ taskId: 'report', fn: (ctx) => `found ${path.basename(flagFile(ctx))}` }));
scheduleFile.then(waitForFile).then(report);

dag.add(new FunctionSensor({ taskId: 'never_ready', pokeInterval: 0.2, timeout: 1, softFail: true, fn: () => false }));

export const expected: ExpectedOutcome = {
  run: 'success',
  tasks: { schedule_file: 'success', wait_for_file: 'success', report: 'success', never_ready: 'skipped' },
};

export default dag;
