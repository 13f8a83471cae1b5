/**
 * ShortCircuitOperator: when `fn` returns a falsy value, downstream tasks are skipped. With
 * ignoreDownstreamTriggerRules (default true, as Airflow) everything downstream is skipped regardless of
 * trigger rules; with false only the direct downstream tasks are, and trigger rules decide the rest.
 */
import { BaseOperator, type TaskContext, type TaskOptions } from '../engine/index.js';

export interface ShortCircuitOperatorOptions extends TaskOptions {
  fn: (ctx: TaskContext) => unknown;
  ignoreDownstreamTriggerRules?: boolean;
}

export class ShortCircuitOperator extends BaseOperator<boolean> {
  readonly fn: ShortCircuitOperatorOptions['fn'];
  readonly ignoreDownstreamTriggerRules: boolean;
  constructor(o: ShortCircuitOperatorOptions) {
    super(o);
    this.fn = o.fn;
    this.ignoreDownstreamTriggerRules = o.ignoreDownstreamTriggerRules ?? true;
  }
  async execute(ctx: TaskContext): Promise<boolean> {
    const condition = Boolean(await this.fn(ctx));
    if (condition) {
      ctx.log.info('Condition is truthy; proceeding with downstream tasks');
      return true;
    }
    const dag = ctx.dag;
    const skip = this.ignoreDownstreamTriggerRules ? [...dag.downstreamOf(this.taskId)] : this.downstreamTaskIds;
    ctx.log.info(`Condition is falsy; skipping ${skip.join(', ') || 'nothing'}`);
    ctx.skip(skip);
    return false;
  }
}

