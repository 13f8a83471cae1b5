/**
 * `dagctl worker`: serves queues of the PostgreSQL job queue (graphile-worker: SKIP LOCKED picks, LISTEN/NOTIFY
 * wake-ups) on any host that reaches the database and has the project. Each job is one attempt, run in this
 * host's worker processes (the ProcessPool, as the local executor runs them): the attempt records its own
 * start, heartbeats and end in the store, fenced by try number, so a duplicate or late job changes nothing.
 * A worker host that dies stops its attempts' heartbeats; a scheduler then fails them and the retry goes to
 * whichever worker picks its job.
 *
 * Why graphile-worker rather than pg-boss: its add_job is a SQL function, so the scheduler enqueues inside the
 * very transaction that sets the task instance `queued` (on the store's own connection), and its workers are
 * woken by NOTIFY within milliseconds instead of polling.
 */
import { Logger as GraphileLogger, run, runMigrations, type Runner, type TaskList } from 'graphile-worker';
import type { Logger } from 'pino';
import { attemptTask } from '../store/sql-scale-out.js';
import { ProcessPool } from './pool.js';
import { taskLogPath } from './task-log.js';
import { jobKey, type AttemptJob, type ExecutorEvent } from './types.js';

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
  const waiting = new Map<string, (e: ExecutorEvent) => void>();
  pool.onEvent((e) => {
    if (e.type === 'changed') return;
    if (e.type === 'begun') o.onAttempt?.(e.job, 'running');
    if (e.type === 'ended') o.onAttempt?.(e.job, e.state ?? 'refused');
    if (e.type === 'released') o.onAttempt?.(e.job, 'released');
    if (e.type !== 'begun') waiting.get(jobKey(e.job))?.(e);
  });
  const attempt = async (payload: unknown): Promise<void> => {
    const queued = payload as AttemptJob;
    // Logs are written under this host's home; the rest is as the scheduler queued it.
    const job: AttemptJob = { ...queued, home: o.home, logFile: taskLogPath(o.home, queued) };
    const done = new Promise<ExecutorEvent>((resolve) => waiting.set(jobKey(job), resolve));
    pool.submit(job);
    const e = await done;
    waiting.delete(jobKey(job));
    // A worker process that died (released) leaves its attempt `running`: its heartbeat stops and a
    // scheduler fails it. The queue's job is done either way: a try is never run twice.
    if (e.type === 'released') o.logger.warn({ dagId: job.dagId, runId: job.runId, taskId: job.taskId, tryNumber: job.tryNumber, err: e.error.message }, 'attempt released by its worker process');
  };
  const taskList: TaskList = Object.fromEntries(o.queues.map((q) => [attemptTask(q), attempt]));
  await migrateQueue(o.url, o.logger);
  let runner: Runner | undefined;
  try {
    runner = await run({
      connectionString: o.url,
      concurrency: o.concurrency,
      noHandleSignals: true,
      pollInterval: o.pollIntervalMs ?? 2000,
      logger: graphileLogger(o.logger),
      taskList,
    });
    o.logger.info({ pid: process.pid, queues: o.queues, concurrency: o.concurrency }, 'worker started');
    const stopped = new Promise<void>((resolve) => {
      if (o.signal?.aborted) resolve();
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([stopped, runner.promise]);
  } finally {
    // stop() waits for the jobs in flight: each is an attempt that its worker process finishes and records.
    await runner?.stop().catch(() => {});
    await pool.close();
  }
}
