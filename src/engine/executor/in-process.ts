/**
 * The in-process executor: attempts run in this process (for `dags test`, `tasks test` and tick-level tests).
 * executionTimeout aborts the attempt's signal; it cannot kill code that ignores the signal.
 */
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../clock.js';
import type { DAG } from '../dag.js';
import { TaskTimeoutError } from '../errors.js';
import type { Json } from '../json.js';
import { runAttempt } from './attempt.js';
import { jobKey, type AttemptJob, type Executor, type ExecutorEvent } from './types.js';

export interface InProcessOptions {
  parallelism: number;
  getDag(dagId: string): DAG | undefined;
  readXcom(job: AttemptJob, taskId: string, key: string): Json | undefined;
  clock?: Clock;
}

export class InProcessExecutor implements Executor {
  readonly #o: InProcessOptions;
  readonly #waiting: AttemptJob[] = [];
  readonly #running = new Map<string, AttemptJob>();
  #listener: (e: ExecutorEvent) => void = () => {};
  #idleWaiters: Array<() => void> = [];

  constructor(o: InProcessOptions) {
    this.#o = o;
  }
  freeSlots(): number {
    return Math.max(0, this.#o.parallelism - this.#running.size - this.#waiting.length);
  }
  inFlight(): AttemptJob[] {
    return [...this.#running.values(), ...this.#waiting];
  }
  onEvent(listener: (e: ExecutorEvent) => void): void {
    this.#listener = listener;
  }
  submit(job: AttemptJob): void {
    this.#waiting.push(job);
    queueMicrotask(() => this.#pump());
  }
  idle(): Promise<void> {
    if (this.#running.size === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
  async close(): Promise<void> {
    await this.idle();
  }

  #pump(): void {
    while (this.#running.size < this.#o.parallelism && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#running.set(jobKey(job), job);
      void this.#run(job);
    }
  }

  async #run(job: AttemptJob): Promise<void> {
    const dag = this.#o.getDag(job.dagId);
    const ac = new AbortController();
    const timer = job.executionTimeout !== undefined ? setTimeout(() => ac.abort(new TaskTimeoutError(job.executionTimeout!)), job.executionTimeout * 1000) : undefined;
    const clock = this.#o.clock ?? systemClock;
    this.#listener({ type: 'started', job, pid: process.pid, hostname: hostname(), at: clock.now() });
    const result = dag
      ? await runAttempt(job, dag, { signal: ac.signal, readXcom: (t, k) => this.#o.readXcom(job, t, k) })
      : { outcome: 'failed' as const, xcoms: [], skip: [], error: { message: `DAG '${job.dagId}' is not loaded`, nonRetryable: true } };
    if (timer) clearTimeout(timer);
    this.#running.delete(jobKey(job));
    this.#listener({ type: 'finished', job, result, at: clock.now() });
    this.#pump();
    if (this.#running.size === 0 && this.#waiting.length === 0) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const f of w) f();
    }
  }
}
