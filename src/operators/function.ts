/** FunctionOperator: runs a TypeScript function (Airflow's PythonOperator); its return value becomes XCom. */
import { BaseOperator, type Json, type JsonObject, type TaskContext, type TaskOptions } from '../engine/index.js';

export interface FunctionOperatorOptions<TOut extends Json> extends TaskOptions {
  /** Runs in a worker process; return JSON (or nothing). Use ctx.signal to stop early on timeout. */
  fn: (ctx: TaskContext, kwargs: JsonObject) => TOut | void | Promise<TOut | void>;
  /** Keyword arguments for fn (Airflow's op_kwargs): map over them with `FunctionOperator.partial({...}).expand({ opKwargs: [...] })`. */
  opKwargs?: JsonObject;
}

export class FunctionOperator<TOut extends Json = Json> extends BaseOperator<TOut> {
  readonly fn: FunctionOperatorOptions<TOut>['fn'];
  readonly opKwargs: JsonObject;
  constructor(o: FunctionOperatorOptions<TOut>) {
    super(o);
    this.fn = o.fn;
    this.opKwargs = o.opKwargs ?? {};
  }
  async execute(ctx: TaskContext): Promise<TOut> {
    return (await this.fn(ctx, this.opKwargs)) as TOut;
  }
}
