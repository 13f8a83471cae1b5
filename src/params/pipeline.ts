import { z } from 'zod';
import { GATE_METRICS } from '../promotion/gate.js';

/**
 * The pipeline's sections of params.yaml: the promotion gate and the continuous_retraining DAG's settings.
 * Same rules as the training sections: every key has a default, unknown keys are errors.
 */
const unit = (d: number) => z.number({ error: 'must be a number between 0 and 1' }).min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).default(d);

export const gateSchema = z.strictObject({
  /** Metric the candidate must improve on the champion. */
  primary_metric: z.enum(GATE_METRICS, { error: `must be one of ${GATE_METRICS.join(', ')}` }).default('auc'),
  /** Required gain on the primary metric over the champion (same test set). */
  min_improvement: unit(0.005),
  /** How much recall (sensitivity) may drop below the champion's. */
  recall_tolerance: unit(0.01),
  /**
   * Absolute floors, also for the first model. Recall and specificity are measured at the candidate's own
   * calibrated threshold, which is chosen for the deployment distribution (val), not for the test split.
   */
  min_auc: unit(0),
  min_recall: unit(0.8),
  min_specificity: unit(0.5),
});

export const pipelineSchema = z.strictObject({
  /** Schedule of the continuous_retraining DAG: a preset (@daily) or a cron string. */
  schedule: z.string({ error: 'must be a preset such as "@daily" or a cron string' }).min(1).default('@daily'),
  /** execution_timeout of the train task. */
  train_timeout_minutes: z.int({ error: 'must be a positive integer' }).positive({ error: 'must be a positive integer' }).default(120),
  /** Run `git pull` before checking for new data (for a checkout that tracks a data repo). */
  git_pull: z.boolean({ error: 'must be true or false' }).default(false),
  /** Registered model and MLflow experiment name. */
  model_name: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'must be letters, digits, _ . -' }).default('pneumonia'),
  experiment: z.string().min(1).default('continuous_retraining'),
  /** When MLFLOW_TRACKING_URI is set but unreachable: log to runs/mlruns instead, or fail the task. */
  on_mlflow_unreachable: z.enum(['fallback', 'fail'], { error: 'must be "fallback" or "fail"' }).default('fallback'),
});

/**
 * The hyperparameter_search DAG: a grid of params.yaml overrides (dotted key -> values to try). Every
 * combination is one trial, trained with those overrides; the best by validation AUC is the candidate.
 */
export const searchSchema = z.strictObject({
  grid: z
    .record(z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/, { error: 'grid keys are dotted params.yaml keys, e.g. train.learning_rate' }), z.array(z.json()).min(1, { error: 'list at least one value to try' }), { error: 'must map dotted keys to lists of values' })
    .default({ 'train.learning_rate': [0.00005, 0.0002], 'train.augment.enabled': [false, true] }),
  /** The experiment the search's parent run and its trials are logged to. */
  experiment: z.string().min(1).default('hyperparameter_search'),
});

export type SearchParams = z.output<typeof searchSchema>;
export type GateParams = z.output<typeof gateSchema>;
export type PipelineParams = z.output<typeof pipelineSchema>;
