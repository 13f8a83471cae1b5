/**
 * What every retraining DAG ends with, whatever produced its candidate: compare it with the champion, deploy it
 * or keep the champion, and tell people. continuous_retraining and hyperparameter_search share it (the `_`
 * keeps the DAG bag from loading this file as a DAG).
 *
 *   candidate ─▶ log_metrics ─▶ compare_models ─┬─▶ deploy ──────┐
 *                                               └─▶ skip_deploy ─┴─▶ notify (all_done)
 */
import type { DAG, Task } from '../engine/index.js';
import type { CheckNewDataResult } from '../operators/check-new-data.js';
import { CompareModelsOperator } from '../operators/compare-models.js';
import { DeployOperator } from '../operators/deploy.js';
import type { DvcPullResult } from '../operators/dvc-pull.js';
import { EmptyOperator } from '../operators/empty.js';
import type { LogMetricsOperator } from '../operators/log-metrics.js';
import type { Project } from '../operators/ml/project.js';
import { NotifyOperator } from '../operators/notify.js';
import type { TrainResult } from '../operators/train-resnet18.js';

export function addPromotionTail(
  dag: DAG,
  o: { project: Project; candidate: Task<TrainResult>; logMetrics: LogMetricsOperator; pull: Task<DvcPullResult>; check?: Task<CheckNewDataResult> },
): void {
  const { project, candidate: train, logMetrics } = o;
  const compare = dag.add(new CompareModelsOperator({ taskId: 'compare_models', project, train, deployTaskId: 'deploy', skipTaskId: 'skip_deploy' }));
  const deploy = dag.add(new DeployOperator({ taskId: 'deploy', project, train, compare, logMetrics, retries: 2, retryDelay: 10 }));
  const skipDeploy = dag.add(new EmptyOperator({ taskId: 'skip_deploy' }));
  const notify = dag.add(
    new NotifyOperator({ taskId: 'notify', tasks: { ...(o.check ? { check: o.check } : {}), pull: o.pull, train, logMetrics, compare, deploy }, retries: 2, retryDelay: 30 }),
  );
  logMetrics.then(compare).then([deploy, skipDeploy]);
  deploy.then(notify);
  skipDeploy.then(notify);
}
