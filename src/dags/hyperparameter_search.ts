/**
 * hyperparameter_search: train one model per combination of the grid in params.yaml (`search.grid`), pick the
 * best by validation AUC, and hand it to the same tail as continuous_retraining: it is deployed only if it
 * beats the champion on the test split.
 *
 *   dvc_pull ─▶ make_grid ─▶ train[0..n-1] ─▶ pick_best ─▶ log_metrics ─▶ compare_models ─┬─▶ deploy ──────┐
 *                            (pool training)                (parent run +                  └─▶ skip_deploy ─┴─▶ notify
 *                                                            one child run per trial)
 *
 * Each trial takes the `training` pool's one slot (one training fills a 2-core machine; `dagctl pools set
 * training 2` runs two at once). Trigger conf: {"grid": {"train.learning_rate": [0.001, 0.0003]}} replaces the
 * grid for one run; {"params": {"train.epochs": 3}} applies to every trial.
 */
import { DAG, type Json, type JsonObject } from '../engine/index.js';
import { DvcPullOperator } from '../operators/dvc-pull.js';
import { FunctionOperator } from '../operators/function.js';
import { LogMetricsOperator } from '../operators/log-metrics.js';
import { defaultProject, runParams } from '../operators/ml/project.js';
import { PickBestOperator } from '../operators/pick-best.js';
import { TrainResNet18Operator } from '../operators/train-resnet18.js';
import { loadParams } from '../params/index.js';
import { addPromotionTail } from './_promotion-tail.js';

const project = defaultProject(process.env.DAGCTL_PROJECT_ROOT || undefined);
const { pipeline, search } = await loadParams(project.paramsFile);

/** Every combination of the grid's values, as params overrides (itertools.product order: the first key varies slowest). */
export function gridTrials(grid: Record<string, Json[]>): JsonObject[] {
  return Object.entries(grid).reduce<JsonObject[]>((trials, [key, values]) => trials.flatMap((t) => values.map((v) => ({ ...t, [key]: v }))), [{}]);
}

const dag = new DAG({
  dagId: 'hyperparameter_search',
  description: 'Train one model per combination of search.grid (params.yaml), deploy the best if it beats the champion',
  schedule: null,
  startDate: new Date('2026-01-01T00:00:00Z'),
  catchup: false,
  maxActiveRuns: 1,
  isPausedUponCreation: false,
  tags: ['ml', 'pneumonia', 'search'],
  params: { params: {} },
  defaultArgs: { owner: 'ml', retries: 0 },
});

const pull = dag.add(new DvcPullOperator({ taskId: 'dvc_pull', project, retries: 3, retryDelay: 30, retryExponentialBackoff: true }));
const makeGrid = dag.add(
  new FunctionOperator<JsonObject[]>({
    taskId: 'make_grid',
    fn: async (ctx) => {
      const conf = ctx.params.grid;
      // The conf's grid is checked by the same schema as params.yaml's (errors name the key).
      const grid = conf === undefined ? search.grid : (await runParams(project, { params: { 'search.grid': conf } })).search.grid;
      const trials = gridTrials(grid);
      ctx.logger.info({ grid, trials: trials.length }, `${trials.length} trials`);
      return trials;
    },
  }),
);
const trials = dag.add(
  TrainResNet18Operator.partial({ taskId: 'train', project, pool: 'training', queue: 'gpu', executionTimeout: pipeline.train_timeout_minutes * 60 }).expand({ overrides: makeGrid }),
);
const best = dag.add(new PickBestOperator({ taskId: 'pick_best', trials }));
const logMetrics = dag.add(new LogMetricsOperator({ taskId: 'log_metrics', project, train: best, trials, experiment: search.experiment, retries: 2, retryDelay: 30 }));
pull.then(makeGrid);
trials.then(best).then(logMetrics);
addPromotionTail(dag, { project, candidate: best, logMetrics, pull });

export default dag;
