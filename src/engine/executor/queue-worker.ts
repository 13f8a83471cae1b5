/**
 * `dagctl worker`: serves queues of the PostgreSQL job queue (graphile-worker: SKIP LOCKED picks, LISTEN/NOTIFY
 * wake-ups) on any host that reaches the database and has the project. Each job holds one or more attempts,
 * run in this host's worker processes (the ProcessPool, as the local executor runs them): each attempt records
 * its own start, heartbeats and end in the store, fenced by try number, so a duplicate or late job changes
 * nothing. A worker host that dies stops its attempts' heartbeats; a scheduler then fails those that started
 * (their retries go to whichever worker picks them) and puts its jobs back in the queue for the others.
 *
 * Why graphile-worker rather than pg-boss: its add_job is a SQL function, so the scheduler enqueues inside the
 * very transaction that sets the task instance `queued` (on the store's own connection), and its workers are
 * woken by NOTIFY within milliseconds instead of polling.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { Logger as GraphileLogger, run, runMigrations, type Runner, type TaskList, type WorkerEvents, type WorkerPool } from 'graphile-worker';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { attemptTask } from '../store/sql-scale-out.js';
import { ProcessPool } from './pool.js';
import { taskLogPath } from './task-log.js';
import { jobKey, type AttemptJob } from './types.js';

/** graphile-worker's log lines go to our pino logger (debug and info are its chatter). */
function graphileLogger(log: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    const l = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    log[l]({ ...(meta ?? {}), component: 'graphile-worker' }, message);
  });
}

/** Creates or migrates the job queue's schema (graphile_worker) so that attempts can be enqueued. */
export async function migrateQueue(url: string, log: Logger): Promise<void> {
  await runMigrations({ connectionString: url, logger: graphileLogger(log) });
}

export interface QueueWorkerOptions {
  url: string;
  /** Where this worker records itself and its heartbeat (the same database). */
  store: Store;
  /** Seconds between its heartbeats; a scheduler reclaims its jobs after the zombie threshold without one. */
  heartbeatS: number;
  /** This host's DAGCTL_HOME: task logs go to its logs/ folder (share it across hosts to read them anywhere). */
  home: string;
  queues: readonly string[];
  concurrency: number;
  logger: Logger;
  signal?: AbortSignal;
  /** Milliseconds between polls when no NOTIFY arrives (default 2000). */
  pollIntervalMs?: number;
  onAttempt?: (job: AttemptJob, state: string) => void;
}

/** Serves the queues until the signal aborts; attempts in flight are finished (or failed by their worker) first. */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<void> {
  const pool = new ProcessPool({ parallelism: o.concurrency, logger: o.logger });
  /** Attempts handed to the pool and not ended, by jobKey: a job is done once all of its attempts are. */
  const inPool = new Map<string, { job: AttemptJob; begun: boolean; done: () => void }>();
  pool.onEvent((e) => {
    if (e.type === 'changed') return;
    const held = inPool.get(jobKey(e.job));
    if (e.type === 'begun') {
      if (held) held.begun = true;
      o.onAttempt?.(e.job, 'running');
      return;
    }
    if (e.type === 'released' && e.error.code === 'worker_died' && held && !held.begun) {
      // Its worker process died before starting it: another one runs it, same try (a start the dead one did
      // record after all is refused by the store, fenced by state and try).
      pool.submit([held.job]);
      return;
    }
    o.onAttempt?.(e.job, e.type === 'ended' ? (e.state ?? 'refused') : 'released');
    // A worker process that died mid-attempt leaves it `running`: its heartbeat stops and a scheduler fails
    // it. The queue's job is done either way: a try is never run twice.
    if (e.type === 'released') o.logger.warn({ dagId: e.job.dagId, runId: e.job.runId, taskId: e.job.taskId, tryNumber: e.job.tryNumber, err: e.error.message }, 'attempt released by its worker process');
    inPool.delete(jobKey(e.job));
    held?.done();
  });
  /** A job runs one or more attempts (the scheduler packs them when many are queued at once). */
  const attempts = (payload: unknown): Promise<void> => {
    // Logs are written under this host's home; the rest is as the scheduler queued it.
    const jobs = (payload as AttemptJob[]).map((q): AttemptJob => ({ ...q, home: o.home, logFile: taskLogPath(o.home, q) }));
    const ended = jobs.map(
      (job) =>
        new Promise<void>((done) => {
          // The same attempt twice (a job put back while this worker, taken for dead, still held it): the pool
          // refuses one of them; the first to end settles both jobs.
          const held = inPool.get(jobKey(job));
          inPool.set(jobKey(job), { job, begun: false, done: held ? () => (held.done(), done()) : done });
        }),
    );
    pool.submit(jobs);
    return Promise.all(ended).then(() => {});
  };
  const taskList: TaskList = Object.fromEntries(o.queues.map((q) => [attemptTask(q), attempts]));
  await migrateQueue(o.url, o.logger);
  // The pool's id is what its jobs are locked by: recorded with a heartbeat, so a scheduler can tell when this
  // worker is gone and put back what it had taken but not started.
  const events = new EventEmitter() as WorkerEvents;
  let registered: { id: string; started_at: string } | undefined;
  const beat = (): void => {
    if (!registered) return;
    const now = new Date().toISOString();
    try {
      if (!o.store.heartbeatQueueWorker(registered.id, now)) {
        o.logger.warn({ id: registered.id }, 'this worker was taken for dead (its jobs were put back); registering again');
        o.store.registerQueueWorker({ ...registered, hostname: hostname(), pid: process.pid, queues: o.queues.join(','), concurrency: o.concurrency }, now);
      }
    } catch (err) {
      o.logger.error({ err }, 'could not record the worker heartbeat; trying again at the next one');
    }
  };
  events.on('pool:create', ({ workerPool }: { workerPool: WorkerPool }) => {
    registered = { id: workerPool.id, started_at: new Date().toISOString() };
    o.store.registerQueueWorker({ ...registered, hostname: hostname(), pid: process.pid, queues: o.queues.join(','), concurrency: o.concurrency }, registered.started_at);
  });
  const heartbeat = setInterval(beat, o.heartbeatS * 1000);
  let runner: Runner | undefined;
  try {
    runner = await run({
      connectionString: o.url,
      // One job per worker process at a time, and none fetched ahead (Airflow's Celery prefetch of 1): a host
      // takes only what it can start now, so a few long attempts queued at once go to as many hosts. Under load
      // the scheduler packs several attempts into each job, which keeps every process busy between fetches.
      concurrency: o.concurrency,
      noHandleSignals: true,
      pollInterval: o.pollIntervalMs ?? 2000,
      logger: graphileLogger(o.logger),
      taskList,
      // Completions are batched (one round trip for the jobs done in the same turn).
      preset: { worker: { events, completeJobBatchDelay: 0 } },
    });
    o.logger.info({ pid: process.pid, queues: o.queues, concurrency: o.concurrency }, 'worker started');
    const stopped = new Promise<void>((resolve) => {
      if (o.signal?.aborted) resolve();
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([stopped, runner.promise]);
  } finally {
    // stop() waits for the jobs in flight: their attempts are finished and recorded by the worker processes.
    await runner?.stop().catch(() => {});
    await pool.close();
    clearInterval(heartbeat);
    if (registered) o.store.removeQueueWorker(registered.id);
  }
}
