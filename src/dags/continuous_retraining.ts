/**
 * continuous_retraining: retrain the pneumonia classifier when new data arrives, deploy it only if it is better.
 *
 *   check_new_data ─▶ dvc_pull ─▶ train ─▶ log_metrics ─▶ compare_models ─┬─▶ deploy ──────┐
 *   (short-circuit)                                       (branch)       └─▶ skip_deploy ─┴─▶ notify (all_done)
 *
 * Trigger conf: {"force": true} retrains even without new data; {"params": {"train.epochs": 3}} overrides
 * params.yaml for this run (validated like the file: a bad key fails the run with its name).
 */
import { DAG, type CallbackContext } from '../engine/index.js';
import { notifyAll } from '../notify/index.js';
import { CheckNewDataOperator } from '../operators/check-new-data.js';
import { DvcPullOperator } from '../operators/dvc-pull.js';
import { LogMetricsOperator } from '../operators/log-metrics.js';
import { defaultProject } from '../operators/ml/project.js';
import { TrainResNet18Operator } from '../operators/train-resnet18.js';
import { loadParams } from '../params/index.js';
import { addPromotionTail } from './_promotion-tail.js';

// DAGCTL_PROJECT_ROOT points the pipeline at another checkout (params.yaml, DVC files, data); default: this repo.
const project = defaultProject(process.env.DAGCTL_PROJECT_ROOT || undefined);
const { pipeline } = await loadParams(project.paramsFile);

/** A task that failed for good (retries spent) tells people at once; `notify` still sends the run's summary. */
async function taskFailed(ctx: CallbackContext): Promise<void> {
  await notifyAll(
    {
      dagId: ctx.dagId,
      runId: ctx.runId,
      state: 'failed',
      decision: 'failed',
      reason: `task ${ctx.taskId ?? '?'} failed: ${ctx.error?.message ?? 'unknown error'}`,
      dataVersion: null,
      failedTasks: ctx.taskId ? [ctx.taskId] : [],
    },
    { env: process.env, logger: ctx.logger },
  );
}

const dag = new DAG({
  dagId: 'continuous_retraining',
  description: 'Retrain the chest X-ray pneumonia classifier on new data; deploy it only if it beats the champion',
  schedule: pipeline.schedule,
  startDate: new Date('2026-01-01T00:00:00Z'),
  catchup: false,
  maxActiveRuns: 1,
  isPausedUponCreation: false,
  tags: ['ml', 'pneumonia'],
  params: { force: false, params: {} },
  defaultArgs: { owner: 'ml', retries: 0, onFailure: taskFailed },
});

const check = dag.add(new CheckNewDataOperator({ taskId: 'check_new_data', project, retries: 2, retryDelay: 30 }));
const pull = dag.add(new DvcPullOperator({ taskId: 'dvc_pull', project, retries: 3, retryDelay: 30, retryExponentialBackoff: true }));
const train = dag.add(new TrainResNet18Operator({ taskId: 'train', project, executionTimeout: pipeline.train_timeout_minutes * 60, pool: 'training', queue: 'gpu' }));
const logMetrics = dag.add(new LogMetricsOperator({ taskId: 'log_metrics', project, train, retries: 2, retryDelay: 30 }));
check.then(pull).then(train).then(logMetrics);
addPromotionTail(dag, { project, candidate: train, logMetrics, pull, check });

export default dag;
