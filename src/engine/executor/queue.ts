/**
 * The queue executor (DAGCTL_EXECUTOR=queue, PostgreSQL): the scheduler hands each attempt to the database's
 * job queue (graphile-worker) in the transaction that queues its task instance, and `dagctl worker`
 * processes on any host run them. Nothing is held here: a scheduler may die and another carry on. Workers
 * record ends themselves and NOTIFY; this executor LISTENs and tells the scheduler to tick at once.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { ATTEMPTS_CHANNEL } from '../store/sql-scale-out.js';
import type { Json } from '../json.js';
import type { AttemptJob, Executor, ExecutorEvent } from './types.js';

export interface QueueExecutorOptions {
  store: Store;
  /** The PostgreSQL URL (the LISTEN connection). */
  url: string;
  logger: Logger;
  /** The queue a task's attempts go to (its `queue`, default `default`). */
  queueOf: (job: AttemptJob) => string;
  /** Task instances queued per scheduling step at most (the pools and max_active_tasks still apply). */
  perStep: number;
}

export class QueueExecutor implements Executor {
  readonly kind = 'queue';
  readonly #o: QueueExecutorOptions;
  #listener: (e: ExecutorEvent) => void = () => {};
  #client: pg.Client | undefined;

  private constructor(o: QueueExecutorOptions) {
    this.#o = o;
  }

  /** Connects the LISTEN client; ends recorded by workers reach the scheduler within milliseconds. */
  static async open(o: QueueExecutorOptions): Promise<QueueExecutor> {
    const ex = new QueueExecutor(o);
    const client = new pg.Client({ connectionString: o.url });
    await client.connect();
    client.on('notification', () => ex.#listener({ type: 'changed', at: new Date() }));
    client.on('error', (err) => o.logger.error({ err }, 'lost the LISTEN connection; ends are seen at the next tick'));
    await client.query(`LISTEN ${ATTEMPTS_CHANNEL}`);
    ex.#client = client;
    return ex;
  }

  freeSlots(): number {
    return this.#o.perStep;
  }
  /** Called inside the scheduler's transaction: the job is committed with the `queued` state, or not at all. */
  submit(job: AttemptJob): void {
    this.#o.store.enqueueAttempts([{ queue: this.#o.queueOf(job), payload: job as unknown as Json, priority: 0 }]);
  }
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
    await this.#client?.end().catch(() => {});
    this.#client = undefined;
  }
}
