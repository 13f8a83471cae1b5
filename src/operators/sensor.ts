/**
 * BaseSensor: pokes until a condition holds (mode 'poke': it keeps its worker slot while waiting).
 * After `timeout` seconds it fails without retrying (Airflow's AirflowSensorTimeout), or, with softFail,
 * ends as skipped. FunctionSensor pokes a function (Airflow's PythonSensor).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { BaseOperator, NonRetryableError, SkipTaskError, type Json, type TaskContext, type TaskOptions } from '../engine/index.js';

/** What poke returns: done or not, optionally with a value to store as the XCom return value. */
export type PokeResult = boolean | { isDone: boolean; xcomValue?: Json };

export interface SensorOptions extends TaskOptions {
  /** Seconds between pokes (default 60). */
  pokeInterval?: number;
  /** Seconds before giving up (default 7 days). */
  timeout?: number;
  /** On timeout, end as skipped instead of failed. */
  softFail?: boolean;
  /** Only 'poke' for now ('reschedule' needs up_for_reschedule support). */
  mode?: 'poke';
  /** Double the interval after each poke (capped at timeout). */
  exponentialBackoff?: boolean;
}

export abstract class BaseSensor extends BaseOperator<Json> {
  readonly pokeInterval: number;
  readonly timeout: number;
  readonly softFail: boolean;
  readonly mode = 'poke' as const;
  readonly exponentialBackoff: boolean;

  constructor(o: SensorOptions) {
    super(o);
    this.pokeInterval = o.pokeInterval ?? 60;
    this.timeout = o.timeout ?? 7 * 24 * 3600;
    this.softFail = o.softFail ?? false;
    this.exponentialBackoff = o.exponentialBackoff ?? false;
    if (!(this.pokeInterval >= 0)) throw new TypeError(`sensor '${o.taskId}': pokeInterval must be seconds >= 0`);
    if (!(this.timeout >= 0)) throw new TypeError(`sensor '${o.taskId}': timeout must be seconds >= 0`);
  }

  abstract poke(ctx: TaskContext): PokeResult | Promise<PokeResult>;

  async execute(ctx: TaskContext): Promise<Json> {
    const started = performance.now();
    let interval = this.pokeInterval;
    for (let n = 1; ; n++) {
      const r = await this.poke(ctx);
      const done = typeof r === 'boolean' ? r : r.isDone;
      if (done) {
        ctx.log.info(`Success criteria met after ${n} poke(s). Exiting.`);
        return typeof r === 'boolean' ? null : (r.xcomValue ?? null);
      }
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed >= this.timeout) {
        const msg = `Sensor has timed out; run duration of ${elapsed.toFixed(1)} seconds is more than the specified timeout of ${this.timeout}.`;
        if (this.softFail) throw new SkipTaskError(`${msg} Skipping due to softFail.`);
        throw new NonRetryableError(msg);
      }
      const wait = Math.min(interval, Math.max(0, this.timeout - elapsed));
      ctx.log.info(`Poke ${n}: criteria not met; next poke in ${wait} s`);
      await sleep(wait * 1000, undefined, { signal: ctx.signal });
      if (this.exponentialBackoff) interval = Math.min(interval * 2, this.timeout);
    }
  }
}

export interface FunctionSensorOptions extends SensorOptions {
  fn: (ctx: TaskContext) => PokeResult | Promise<PokeResult>;
}

export class FunctionSensor extends BaseSensor {
  readonly fn: FunctionSensorOptions['fn'];
  constructor(o: FunctionSensorOptions) {
    super(o);
    this.fn = o.fn;
  }
  poke(ctx: TaskContext): PokeResult | Promise<PokeResult> {
    return this.fn(ctx);
  }
}
