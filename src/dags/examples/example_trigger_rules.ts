/**
 * Trigger rules side by side: two upstream tasks, one succeeds and one fails, and one downstream
 * task per rule shows what that rule does with "one success + one failure".
 *
 *   ok ─┬─> on_all_success (all_success)   upstream_failed
 *  boom ┴─> on_all_done    (all_done)      success
 *       ├─> on_one_failed  (one_failed)    success
 *       ├─> on_one_success (one_success)   success
 *       ├─> on_none_failed (none_failed)   upstream_failed
 *       ├─> on_all_failed  (all_failed)    skipped
 *       └─> on_always      (always)        success
 *
 * The run ends `failed`: a leaf (on_all_success) is upstream_failed.
 */
import { DAG } from '../../engine/index.js';
import type { TriggerRule } from '../../engine/trigger-rules.js';
import { BashOperator } from '../../operators/bash.js';
import { EmptyOperator } from '../../operators/empty.js';
import type { ExpectedOutcome } from './expected.js';

const dag = new DAG({
  dagId: 'example_trigger_rules',
  description: 'one failing upstream, one downstream task per trigger rule',
  schedule: null,
  startDate: new Date('2026-01-01T00:00:00Z'),
  isPausedUponCreation: false,
  tags: ['example'],
  defaultArgs: { retries: 0 },
});

const ok = dag.add(new BashOperator({ taskId: 'ok', bashCommand: 'echo fine' }));
const boom = dag.add(new BashOperator({ taskId: 'boom', bashCommand: 'echo "failing on purpose" >&2; exit 1' }));

const rules: Record<string, TriggerRule> = {
  on_all_success: 'all_success',
  on_all_done: 'all_done',
  on_one_failed: 'one_failed',
  on_one_success: 'one_success',
  on_none_failed: 'none_failed',
  on_all_failed: 'all_failed',
  on_always: 'always',
};
for (const [taskId, triggerRule] of Object.entries(rules)) {
  const t = dag.add(new EmptyOperator({ taskId, triggerRule }));
  ok.then(t);
  boom.then(t);
}

export const expected: ExpectedOutcome = {
  run: 'failed',
  tasks: {
    ok: 'success',
    boom: 'failed',
    on_all_success: 'upstream_failed',
    on_all_done: 'success',
    on_one_failed: 'success',
    on_one_success: 'success',
    on_none_failed: 'upstream_failed',
    on_all_failed: 'skipped',
    on_always: 'success',
  },
};

export default dag;
