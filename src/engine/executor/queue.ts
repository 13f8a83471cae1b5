/**
 * The queue executor (DAGCTL_EXECUTOR=queue, PostgreSQL): the scheduler hands each attempt to the database's
 * job queue (graphile-worker) in the transaction that queues its task instance, and `dagctl worker`
 * processes on any host run them. A scheduler may die and another carry on: the queue, not this executor,
 * holds the attempts. Workers record ends themselves and NOTIFY which ones; this executor LISTENs and passes the
 * ends of the attempts it queued to its scheduler's fast path (another scheduler's are that one's to react to;
 * a dead scheduler's are found by the others' periodic ticks).
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { holderAlive } from '../lock.js';
import type { Store } from '../store/store.js';
import { ATTEMPTS_CHANNEL, parseEnded } from '../store/sql-scale-out.js';
import type { Json } from '../json.js';
import { jobKey, type AttemptJob, type Executor, type ExecutorEvent } from './types.js';

export interface QueueExecutorOptions {
  store: Store;
  /** The PostgreSQL URL (the LISTEN connection). */
  url: string;
  logger: Logger;
  /** The queue a task's attempts go to (its `queue`, default `default`). */
  queueOf: (job: AttemptJob) => string;
  /** Task instances queued per scheduling step at most (the pools and max_active_tasks still apply). */
  perStep: number;
  /** Milliseconds between checks that a live `dagctl worker` serves the queues attempts go to (default 5000). */
  servedCheckMs?: number;
  /**
   * Milliseconds a queue stays unserved before it is reported (default 10000: two worker heartbeats), so that a
   * scheduler and its workers started together do not warn about workers that have not registered yet.
   */
  unservedGraceMs?: number;
  clock?: Clock;
}

/**
 * A queue's attempts of one scheduling step as jobs: one job each while they are no more than the live worker
 * processes serving the queue (each can start on its own host at once), else about one job per worker process
 * (the queue's cost is per job: adding, fetching and completing one is a few statements whatever it holds).
 * With no live worker known, one job each: whoever comes first should not take them all.
 */
export function packAttempts<T>(attempts: readonly T[], workerProcesses: number): T[][] {
  const size = workerProcesses > 0 ? Math.max(1, Math.ceil(attempts.length / workerProcesses)) : 1;
  const jobs: T[][] = [];
  for (let i = 0; i < attempts.length; i += size) jobs.push(attempts.slice(i, i + size));
  return jobs;
}

export class QueueExecutor implements Executor {
  readonly kind = 'queue';
  readonly #o: QueueExecutorOptions;
  #listener: (e: ExecutorEvent) => void = () => {};
  #client: pg.Client | undefined;
  /** Attempts this scheduler queued whose end it has not heard of yet, by jobKey. */
  readonly #queued = new Map<string, AttemptJob>();
  /** Queues attempts went to that are not known to be served, with when a check first found them unserved. */
  readonly #watched = new Map<string, number | undefined>();
  /** Queues reported unserved (once each, until a worker serves them again). */
  readonly #reported = new Set<string>();
  /** Worker processes of live `dagctl worker`s serving each queue, as of the last check. */
  readonly #capacity = new Map<string, number>();
  #checkedAt = -Infinity;
  #recheck: NodeJS.Timeout | undefined;

  private constructor(o: QueueExecutorOptions) {
    this.#o = o;
  }

  /** Connects the LISTEN client; ends recorded by workers reach the scheduler within milliseconds. */
  static async open(o: QueueExecutorOptions): Promise<QueueExecutor> {
    const ex = new QueueExecutor(o);
    const client = new pg.Client({ connectionString: o.url });
    await client.connect();
    client.on('notification', (n) => ex.#heard(n.payload ?? ''));
    client.on('error', (err) => o.logger.error({ err }, 'lost the LISTEN connection; ends are seen at the next tick'));
    await client.query(`LISTEN ${ATTEMPTS_CHANNEL}`);
    ex.#client = client;
    return ex;
  }

  #heard(payload: string): void {
    const ends = parseEnded(payload);
    if (!ends) return this.#listener({ type: 'changed', at: new Date() });
    for (const e of ends) {
      const key = jobKey(e.key);
      const job = this.#queued.get(key);
      if (!job || job.tryNumber !== e.tryNumber) continue;
      this.#queued.delete(key);
      this.#listener({ type: 'ended', job, state: e.state, skip: e.skip, at: new Date() });
    }
  }

  freeSlots(): number {
    return this.#o.perStep;
  }
  /** Called inside the scheduler's transaction: the jobs are committed with the `queued` states, or not at all. */
  submit(jobs: readonly AttemptJob[]): void {
    const byQueue = new Map<string, AttemptJob[]>();
    for (const job of jobs) {
      const q = this.#o.queueOf(job);
      const list = byQueue.get(q);
      if (list) list.push(job);
      else byQueue.set(q, [job]);
    }
    for (const q of byQueue.keys()) if (!this.#watched.has(q)) this.#watched.set(q, undefined);
    if (this.#clock.now().getTime() - this.#checkedAt >= (this.#o.servedCheckMs ?? 5000)) this.#checkServed();
    const queued = [...byQueue].flatMap(([queue, list]) =>
      packAttempts(list, this.#capacity.get(queue) ?? 0).map((part) => ({ queue, payload: part as unknown as Json, priority: 0 })),
    );
    this.#o.store.enqueueAttempts(queued);
    for (const job of jobs) this.#queued.set(jobKey(job), job);
  }

  get #clock(): Clock {
    return this.#o.clock ?? systemClock;
  }

  /**
   * An attempt put in a queue that no live `dagctl worker` serves waits there until one does (a `gpu` task with
   * no GPU host): say so once per queue, with what to run, once it has been unserved for the grace period (checked
   * again then, even if nothing more is queued), and again if it becomes unserved after being served.
   */
  #checkServed(): void {
    const now = this.#clock.now();
    this.#checkedAt = now.getTime();
    this.#capacity.clear();
    for (const w of this.#o.store.listQueueWorkers()) {
      if (!holderAlive(w, now)) continue;
      for (const q of w.queues.split(',')) this.#capacity.set(q, (this.#capacity.get(q) ?? 0) + w.concurrency);
    }
    const grace = this.#o.unservedGraceMs ?? 10_000;
    let due: number | undefined;
    for (const [q, since] of this.#watched) {
      if (this.#capacity.has(q)) {
        this.#watched.delete(q);
        this.#reported.delete(q);
        continue;
      }
      const from = since ?? now.getTime();
      this.#watched.set(q, from);
      if (this.#reported.has(q)) continue;
      if (now.getTime() - from >= grace) {
        this.#reported.add(q);
        this.#o.logger.warn({ queue: q }, `attempts are queued to '${q}', which no live dagctl worker serves: they wait until one does (start one with \`dagctl worker --queues ${q}\`)`);
      } else due = Math.min(due ?? Infinity, from + grace - now.getTime());
    }
    if (due !== undefined && !this.#recheck) {
      this.#recheck = setTimeout(() => {
        this.#recheck = undefined;
        try {
          this.#checkServed();
        } catch (err) {
          this.#o.logger.debug({ err }, 'could not check which queues live workers serve'); // the next submit checks again
        }
      }, due);
      this.#recheck.unref();
    }
  }
  /** None: no process here runs them, so every live attempt is watched by its heartbeat (zombie detection). */
  inFlight(): AttemptJob[] {
    return [];
  }
  onEvent(listener: (e: ExecutorEvent) => void): void {
    this.#listener = listener;
  }
  idle(): Promise<void> {
    return Promise.resolve();
  }
  async close(): Promise<void> {
    clearTimeout(this.#recheck);
    await this.#client?.end().catch(() => {});
    this.#client = undefined;
  }
}
