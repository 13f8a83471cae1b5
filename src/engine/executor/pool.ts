/**
 * The local executor: a pool of long-lived worker processes (child_process.fork with the tsx loader).
 * Each runs one attempt at a time and holds up to WORKER_DEPTH (the rest wait in it), so a finishing worker
 * starts its next attempt without a round trip through the scheduler, and one IPC write carries several. An
 * idle worker does not wait while attempts queue behind a long one elsewhere: that worker gives them back, and
 * gets more only when every other worker is full.
 * Workers record their attempts themselves; the pool passes their reports on. executionTimeout aborts the
 * attempt, then kills the worker's process group if it has not stopped within the grace period; the attempts
 * a dead worker held are `released` to the scheduler, which settles them from the store; dead workers are
 * replaced. Workers are detached (their own process groups), so they outlive a scheduler killed with -9 and
 * finish what they run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { killProcessGroup } from '../zombies.js';
import type { AttemptReport, FromWorker, ToWorker } from './protocol.js';
import { jobKey, type AttemptJob, type Executor, type ExecutorEvent } from './types.js';

export const WORKER_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.ts');
/** The TypeScript loader, resolved from this package: a project that uses dagctl need not install tsx itself. */
const TSX_LOADER = import.meta.resolve('tsx');
/** A worker that dies before it is ready (it cannot start at all) is replaced after this long, not at once. */
const RESPAWN_BACKOFF_MS = 1000;

export interface PoolOptions {
  parallelism: number;
  logger: Logger;
  /** Milliseconds between aborting a timed-out attempt and killing its worker (default 2000). */
  killGraceMs?: number;
  clock?: Clock;
}

/**
 * Attempts a worker holds at once: one running, the rest waiting in it (see protocol.ts). Deep enough that
 * workers of quick tasks rarely run dry between scheduler steps (32 over 16: 15 % more fan-out throughput).
 */
const WORKER_DEPTH = 32;
/** An attempt running this long makes its worker give back those waiting behind it when another worker is idle. */
const LONG_ATTEMPT_MS = 100;

interface Worker {
  child: ChildProcess;
  ready: boolean;
  /** Attempts handed to it, in the order it runs them; jobs[0] is running (or about to). */
  jobs: AttemptJob[];
  /** Handed over but not yet sent (one IPC message per worker per turn). */
  outbox: AttemptJob[];
  timer: NodeJS.Timeout | undefined;
  /** The attempt that timed out: the worker is replaced after it reports (or is killed). */
  timedOut: AttemptJob | undefined;
  /** Its attempt's state was set from outside (to `state`): the worker is killing its process group. */
  terminated: { key: string; state: string } | undefined;
  /** When jobs[0] began (its `begun` report, this process's clock), until it ends. */
  begunAt: number | undefined;
  /** Asked to give back its waiting attempts; its answer has not arrived yet. */
  returning: boolean;
  stderr: string[];
  exited: Promise<void>;
}

export class ProcessPool implements Executor {
  readonly kind = 'local';
  readonly #o: Required<PoolOptions>;
  readonly #workers = new Set<Worker>();
  readonly #queue: AttemptJob[] = [];
  #listener: (e: ExecutorEvent) => void = () => {};
  #rebalanceTimer: NodeJS.Timeout | undefined;
  #idleWaiters: Array<() => void> = [];
  #closing = false;

  constructor(o: PoolOptions) {
    this.#o = { killGraceMs: 2000, clock: systemClock, ...o };
    for (let i = 0; i < o.parallelism; i++) this.#spawn();
  }

  freeSlots(): number {
    return Math.max(0, WORKER_DEPTH * this.#o.parallelism - this.#busy() - this.#queue.length);
  }
  inFlight(): AttemptJob[] {
    return [...[...this.#workers].flatMap((w) => w.jobs), ...this.#queue];
  }
  onEvent(listener: (e: ExecutorEvent) => void): void {
    this.#listener = listener;
  }
  submit(jobs: readonly AttemptJob[]): void {
    this.#queue.push(...jobs);
    this.#dispatch();
  }
  idle(): Promise<void> {
    if (this.#busy() === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }
  /** Resolves once every worker has started and said it is ready. */
  async ready(): Promise<void> {
    await Promise.all([...this.#workers].map((w) => (w.ready ? undefined : new Promise<void>((r) => w.child.once('message', () => r())))));
  }
  get pids(): number[] {
    return [...this.#workers].flatMap((w) => (w.child.pid ? [w.child.pid] : []));
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#rebalanceTimer);
    const exits = [...this.#workers].map((w) => w.exited);
    // The worker alone first: it aborts its attempt and records why (`received SIGTERM`) before what the attempt
    // started dies with its group (at its exit, or below); signalling the group at once raced the two.
    for (const w of this.#workers) {
      try {
        w.child.kill('SIGTERM');
      } catch {
        /* already gone */
      }
    }
    const t = setTimeout(() => {
      for (const w of this.#workers) this.#kill(w, 'SIGKILL');
    }, 2000);
    await Promise.all(exits);
    clearTimeout(t);
  }

  #busy(): number {
    let n = 0;
    for (const w of this.#workers) n += w.jobs.length;
    return n;
  }

  #spawn(): void {
    const child = fork(WORKER_ENTRY, [], {
      execArgv: ['--import', TSX_LOADER],
      // Its own process group, so a timeout kill also takes the attempt's subprocesses (bash, …).
      detached: true,
      // Not the scheduler's stdout: a worker may outlive it (task output goes to the attempt's log anyway).
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let onExit!: () => void;
    const w: Worker = {
      child,
      ready: false,
      jobs: [],
      outbox: [],
      timer: undefined,
      timedOut: undefined,
      terminated: undefined,
      begunAt: undefined,
      returning: false,
      stderr: [],
      exited: new Promise((r) => (onExit = r)),
    };
    this.#workers.add(w);
    child.stderr?.on('data', (b: Buffer) => {
      w.stderr.push(...b.toString('utf8').split('\n').filter(Boolean));
      if (w.stderr.length > 20) w.stderr.splice(0, w.stderr.length - 20);
    });
    child.on('message', (m: FromWorker) => this.#onMessage(w, m));
    child.on('exit', (code, signal) => {
      this.#onExit(w, code, signal);
      onExit();
    });
    child.on('error', (err) => this.#o.logger.error({ err }, 'worker process error'));
  }

  #onMessage(w: Worker, m: FromWorker): void {
    if (m.type === 'ready') {
      w.ready = true;
      this.#dispatch();
      this.#rebalance();
    } else if (m.type === 'reports') {
      for (const r of m.reports) this.#report(w, r);
      this.#rebalance();
      this.#checkIdle();
    }
  }

  #report(w: Worker, r: AttemptReport): void {
    if (r.kind === 'returned') return this.#returned(w, r.keys);
    const job = w.jobs[0];
    if (!job || jobKey(job) !== r.key) return;
    if (r.kind === 'begun') {
      // executionTimeout counts from the attempt's start in the worker, not from when it was handed over.
      if (job.executionTimeout !== undefined && !w.timer) w.timer = setTimeout(() => this.#timeout(w, job), job.executionTimeout * 1000);
      w.begunAt = performance.now();
      this.#listener({ type: 'begun', job, pid: w.child.pid ?? 0, at: new Date(r.at) });
      return;
    }
    if (r.kind === 'terminated') {
      w.terminated = { key: r.key, state: r.state }; // released when the worker has exited (see #onExit)
      return;
    }
    w.jobs.shift();
    w.begunAt = undefined;
    this.#clearTimer(w);
    if (w.timedOut) this.#kill(w, 'SIGKILL'); // code that ignored the abort may still be running there
    else this.#dispatch();
    if (r.kind === 'refused') {
      // Usually its state changed (cleared, marked, reset); the scheduler checks, and hands it out again if not.
      this.#listener({ type: 'released', job, pid: w.child.pid ?? 0, error: { message: 'its worker did not start it', nonRetryable: false, code: 'refused' }, at: this.#o.clock.now() });
      return;
    }
    this.#listener({ type: 'ended', job, state: r.state, skip: r.skip, at: this.#o.clock.now() });
  }

  /**
   * A worker is gone: every attempt it held is released to the scheduler, which reads the store to tell which
   * one was running in it (failed, retried if it has tries left), which never started (handed out again),
   * and which had ended and been recorded already (its report may not have arrived before the exit).
   */
  #onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.#workers.delete(w);
    const pid = w.child.pid ?? 0;
    if (pid) killProcessGroup(pid); // what its attempt started, if anything is left
    this.#clearTimer(w);
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const tail = w.stderr.length ? `; last stderr lines:\n${w.stderr.slice(-10).join('\n')}` : '';
    for (const job of w.jobs.splice(0)) {
      const [message, why] =
        w.terminated?.key === jobKey(job)
          ? [`State of this instance has been externally set to ${w.terminated.state}; the attempt and its processes were killed`, 'externally_set']
          : w.timedOut === job
            ? [`task timed out after ${job.executionTimeout} s (executionTimeout); its worker process was killed`, 'task_timeout']
            : [`worker process ${pid} died mid-attempt (${how})${tail}`, 'worker_died'];
      this.#listener({ type: 'released', job, pid, error: { message, nonRetryable: false, code: why }, at: this.#o.clock.now() });
    }
    if (!this.#closing) {
      if (w.ready) {
        this.#spawn();
        this.#dispatch();
      } else {
        // It could not even start (a broken install, a loader it cannot find): say why, and do not spin.
        this.#o.logger.error({ code, signal, stderr: w.stderr.slice(-10) }, 'a worker process exited before it was ready; starting another in 1 s');
        setTimeout(() => {
          if (this.#closing) return;
          this.#spawn();
          this.#dispatch();
        }, RESPAWN_BACKOFF_MS).unref();
      }
    }
    this.#checkIdle();
  }

  #clearTimer(w: Worker): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
  }

  /**
   * Hands waiting attempts to the least loaded workers; each worker gets one message per turn. A worker busy
   * with a long attempt counts as full: it gets more only when every other one is.
   */
  #dispatch(): void {
    if (this.#closing) return;
    const now = performance.now();
    const load = (w: Worker): number => w.jobs.length + (this.#isLong(w, now) ? WORKER_DEPTH : 0);
    while (this.#queue.length > 0) {
      let best: Worker | undefined;
      for (const w of this.#workers) {
        if (!w.ready || w.timedOut || w.terminated !== undefined || !w.child.connected || w.jobs.length >= WORKER_DEPTH) continue;
        if (!best || load(w) < load(best)) best = w;
      }
      if (!best) return;
      const w = best;
      const job = this.#queue.shift()!;
      w.jobs.push(job);
      if (w.outbox.push(job) === 1) {
        queueMicrotask(() => {
          const jobs = w.outbox.splice(0).filter((j) => w.jobs.includes(j));
          if (jobs.length > 0) this.#send(w, { type: 'run', jobs });
        });
      }
    }
  }

  /**
   * Attempts waiting behind a long one (running LONG_ATTEMPT_MS or more) go back to the pool while another
   * worker is idle and nothing else waits for it: the worker gives back those it has not started (the answer
   * arrives as a `returned` report), and they are dispatched again, ahead of anything queued since. Checked as
   * reports arrive, and by a timer when a worker idles beside an attempt that is not long yet.
   */
  #rebalance(): void {
    clearTimeout(this.#rebalanceTimer);
    this.#rebalanceTimer = undefined;
    if (this.#closing || this.#queue.length > 0) return;
    if (![...this.#workers].some((w) => w.ready && w.jobs.length === 0 && w.child.connected)) return;
    const now = performance.now();
    let next = Infinity;
    for (const w of this.#workers) {
      if (w.jobs.length < 2 || w.returning || w.begunAt === undefined || w.terminated || w.timedOut) continue;
      if (!this.#isLong(w, now)) next = Math.min(next, w.begunAt + LONG_ATTEMPT_MS);
      else {
        w.returning = true;
        this.#send(w, { type: 'return', keys: w.jobs.slice(1).map(jobKey) });
      }
    }
    if (next < Infinity) {
      this.#rebalanceTimer = setTimeout(() => this.#rebalance(), next - now);
      this.#rebalanceTimer.unref();
    }
  }

  /** The worker gave these back unstarted: they are dispatched again first, in their order. */
  #returned(w: Worker, keys: readonly string[]): void {
    w.returning = false;
    const back = w.jobs.filter((j) => keys.includes(jobKey(j)));
    w.jobs = w.jobs.filter((j) => !back.includes(j));
    this.#queue.unshift(...back);
    this.#dispatch();
  }

  #isLong(w: Worker, now: number): boolean {
    return w.begunAt !== undefined && now - w.begunAt >= LONG_ATTEMPT_MS;
  }

  #timeout(w: Worker, job: AttemptJob): void {
    if (w.jobs[0] !== job) return;
    w.timedOut = job;
    this.#send(w, { type: 'abort', key: jobKey(job), timeoutS: job.executionTimeout ?? 0 });
    w.timer = setTimeout(() => this.#kill(w, 'SIGKILL'), this.#o.killGraceMs);
  }

  #send(w: Worker, m: ToWorker): void {
    try {
      w.child.send(m);
    } catch (err) {
      this.#o.logger.warn({ err }, 'could not send to worker; killing it');
      this.#kill(w, 'SIGKILL');
    }
  }

  #kill(w: Worker, signal: NodeJS.Signals): void {
    const pid = w.child.pid;
    if (pid === undefined || w.child.exitCode !== null || w.child.signalCode !== null) return;
    try {
      process.kill(-pid, signal); // the whole group: the worker and its subprocesses
    } catch {
      try {
        w.child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }

  #checkIdle(): void {
    if (this.#busy() > 0 || this.#queue.length > 0) return;
    const ws = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const f of ws) f();
  }
}
