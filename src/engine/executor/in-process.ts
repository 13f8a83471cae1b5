/**
 * The in-process executor: attempts run in this process (for `dags test` and tick-level tests). Each attempt
 * is owned as in a worker process (own-attempt.ts): start, heartbeats and end recorded in the store,
 * fenced by try number. executionTimeout and a state set from outside abort the attempt's signal; this
 * executor cannot kill code that ignores it.
 */
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../clock.js';
import type { DAG } from '../dag.js';
import { TaskTimeoutError } from '../errors.js';
import type { Store } from '../store/store.js';
import { runAttempt, xcomReaders } from './attempt.js';
import { ownAttempt, recordEnds } from './own-attempt.js';
import { jobKey, type AttemptJob, type Executor, type ExecutorEvent } from './types.js';

export interface InProcessOptions {
  parallelism: number;
  store: Store;
  getDag(dagId: string): DAG | undefined;
  clock?: Clock;
}

export class InProcessExecutor implements Executor {
  readonly kind = 'local';
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
  submit(jobs: readonly AttemptJob[]): void {
    this.#waiting.push(...jobs);
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
    const owned = await ownAttempt(
      job,
      { store: this.#o.store, clock, pid: process.pid, hostname: hostname(), controller: ac, onStarted: () => this.#listener({ type: 'begun', job, pid: process.pid, at: clock.now() }) },
      (signal) =>
        dag
          ? runAttempt(job, dag, { signal, ...xcomReaders(this.#o.store, job) })
          : Promise.resolve({ outcome: 'failed' as const, xcoms: [], skip: [], error: { message: `DAG '${job.dagId}' is not loaded`, nonRetryable: true } }),
    );
    if (timer) clearTimeout(timer);
    this.#running.delete(jobKey(job));
    if (owned.kind === 'refused') this.#listener({ type: 'released', job, pid: process.pid, error: { message: owned.why, nonRetryable: false, code: 'refused' }, at: clock.now() });
    else if (owned.kind === 'ran') {
      for (const { state, skip } of recordEnds(this.#o.store, [owned.end], clock.now().toISOString())) this.#listener({ type: 'ended', job, state, skip, at: clock.now() });
    } else {
      const message = `State of this instance has been externally set to ${owned.state}; the attempt was aborted`;
      this.#listener({ type: 'released', job, pid: process.pid, error: { message, nonRetryable: false, code: 'externally_set' }, at: clock.now() });
    }
    this.#pump();
    if (this.#running.size === 0 && this.#waiting.length === 0) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const f of w) f();
    }
  }
}
