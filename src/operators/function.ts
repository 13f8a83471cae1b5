/** FunctionOperator: runs a TypeScript function (Airflow's PythonOperator); its return value becomes XCom. */
import { BaseOperator, type Json, type TaskContext, type TaskOptions } from '../engine/index.js';

export interface FunctionOperatorOptions<TOut extends Json> extends TaskOptions {
  /** Runs in a worker process; return JSON (or nothing). Use ctx.signal to stop early on timeout. */
  fn: (ctx: TaskContext) => TOut | void | Promise<TOut | void>;
}

export class FunctionOperator<TOut extends Json = Json> extends BaseOperator<TOut> {
  readonly fn: FunctionOperatorOptions<TOut>['fn'];
  constructor(o: FunctionOperatorOptions<TOut>) {
    super(o);
    this.fn = o.fn;
  }
  async execute(ctx: TaskContext): Promise<TOut> {
    return (await this.fn(ctx)) as TOut;
  }
}
