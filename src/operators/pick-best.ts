import { BaseOperator, type Task, type TaskContext, type TaskOptions } from '../engine/index.js';
import type { TrainResult } from './train-resnet18.js';

/**
 * A search's candidate: the trial with the highest validation AUC (ties: the earlier trial). Trials that
 * failed pushed no result and are not in the list; with none left the task fails.
 */
export class PickBestOperator extends BaseOperator<TrainResult> {
  readonly #trials: Task<TrainResult[]>;

  constructor(o: TaskOptions & { trials: Task<TrainResult[]> }) {
    super({ triggerRule: 'all_done', ...o });
    this.#trials = o.trials;
  }

  execute(ctx: TaskContext): TrainResult {
    const trials = ctx.xcomPull(this.#trials) ?? [];
    if (trials.length === 0) throw new Error(`no trial of task '${this.#trials.taskId}' produced a model`);
    const best = trials.reduce((b, t) => ((t.val_auc ?? -1) > (b.val_auc ?? -1) ? t : b));
    for (const t of trials) {
      ctx.logger.info({ trial: t.map_index, overrides: t.overrides, val_auc: t.val_auc }, `trial ${t.map_index}: val AUC ${t.val_auc?.toFixed(4) ?? 'n/a'}${t === best ? '  <- best' : ''}`);
    }
    return best;
  }
}
