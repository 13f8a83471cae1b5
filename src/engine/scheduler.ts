/**
 * The scheduler as a step function. `tick(now)` creates due runs, starts queued runs, fails timed-out runs,
 * reschedules due retries, detects zombies, evaluates dependencies, finalises runs from their leaves and
 * queues ready task instances to the executor; it returns what changed. `processEvents(now)` is the fast
 * path: it applies attempt results the executor reported and schedules their downstream at once.
 * All state lives in the store; tests call these with a fake clock and assert on stored state.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import type { DAG } from './dag.js';
import { coerceError, IllegalTransitionError } from './errors.js';
import { decideRun } from './evaluate.js';
import { taskLogPath } from './executor/task-log.js';
import { jobKey, type AttemptJob, type Executor, type ExecutorEvent } from './executor/types.js';
import type { CallbackContext } from './operator.js';
import { nextRetryAt, shouldRetry } from './retry.js';
import { createDueRuns, runsToStart } from './run-creation.js';
import { findZombies, isPidAlive } from './zombies.js';
import type { DagRunState, TaskState } from './states.js';
import type { DagRunRow, RunKey, TiKey } from './store/rows.js';
import type { AttemptEnd, QueueCandidate, Store } from './store/store.js';

export { isPidAlive };

export type RunEvent =
  | { type: 'run'; dagId: string; runId: string; state: DagRunState; at: Date }
  | { type: 'task'; dagId: string; runId: string; taskId: string; state: TaskState | null; tryNumber: number; at: Date };

export interface SchedulerOptions {
  store: Store;
  dags: ReadonlyMap<string, DAG>;
  executor: Executor;
  logger: Logger;
  home: string;
  /** Drive only these runs (waitForRun, backfill, dags test): creates no runs, ignores maxActiveRuns. */
  runs?: RunKey[];
  onEvent?: (e: RunEvent) => void;
  /** Seconds without a heartbeat before a running TI of another process is a zombie (default 60). */
  zombieThresholdS?: number;
  /** Seconds between zombie checks (default 5). */
  zombieCheckIntervalS?: number;
  hostname?: string;
  isPidAlive?: (pid: number) => boolean;
}

export interface TickResult {
  createdRuns: string[];
  startedRuns: string[];
  finishedRuns: Array<{ dagId: string; runId: string; state: DagRunState }>;
  /** TIs that went none -> scheduled / skipped / upstream_failed. */
  scheduled: number;
  settled: number;
  queued: number;
  ended: number;
  retried: number;
  zombies: number;
  timedOutRuns: number;
  /** When a tick next has something to do (a run due, a retry due, a run timeout), if known. */
  nextWakeAt: Date | undefined;
}

const rk = (k: RunKey): string => `${k.dagId}\u0000${k.runId}`;
const emptyResult = (): TickResult => ({
  createdRuns: [], startedRuns: [], finishedRuns: [], scheduled: 0, settled: 0, queued: 0, ended: 0, retried: 0, zombies: 0, timedOutRuns: 0, nextWakeAt: undefined,
});
const earliest = (a: Date | undefined, b: Date | undefined): Date | undefined => (!a ? b : !b ? a : a < b ? a : b);

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #store: Store;
  readonly #scope: { runs?: readonly RunKey[]; excludeBackfill: boolean };
  readonly #pending: ExecutorEvent[] = [];
  readonly #runs = new Map<string, DagRunRow>();
  readonly #callbacks = new Set<Promise<void>>();
  #lastZombieCheck = 0;
  /** Called when an attempt finished (the daemon flushes it at once, to schedule its downstream). */
  onWork: () => void = () => {};

  constructor(o: SchedulerOptions) {
    this.#o = o;
    this.#store = o.store;
    this.#scope = o.runs ? { runs: o.runs, excludeBackfill: false } : { excludeBackfill: true };
    o.executor.onEvent((e) => {
      // A start is recorded at once, before the executor hands the attempt over (it sends on the next
      // microtask): if this process dies, the attempt is `running` in the database, so it is detected as a
      // zombie and retried as a new try, never silently re-run under the same try number.
      if (e.type === 'started') this.#recordStart(e);
      else {
        this.#pending.push(e);
        this.onWork();
      }
    });
  }

  #recordStart(e: Extract<ExecutorEvent, { type: 'started' }>): void {
    const key = { dagId: e.job.dagId, runId: e.job.runId, taskId: e.job.taskId };
    try {
      if (e.reassigned) {
        this.#store.reassignAttempt(key, e.job.tryNumber, { pid: e.pid, hostname: e.hostname }, e.at.toISOString());
        return;
      }
      this.#store.startAttempt(key, e.job.tryNumber, { pid: e.pid, hostname: e.hostname }, e.at.toISOString());
      this.#emitTask(key, 'running', e.job.tryNumber, e.at);
    } catch (err) {
      if (!(err instanceof IllegalTransitionError)) throw err;
      this.#o.logger.warn({ ...key, err: err.message }, 'attempt started but its task instance changed meanwhile');
    }
  }

  /** Attempts that were queued to an executor that no longer exists go back to scheduled (startup). */
  recover(now: Date): TiKey[] {
    const reset = this.#store.resetQueued(this.#scope);
    for (const k of reset) this.#emitTask(k, 'scheduled', 0, now);
    if (reset.length) this.#o.logger.warn({ count: reset.length }, 'reset orphaned queued task instances to scheduled');
    return reset;
  }

  tick(now: Date): TickResult {
    const r = emptyResult();
    // One transaction per step (each transition inside stays guarded).
    this.#store.transaction(() => {
      this.#applyEvents(now, r);
      if (!this.#o.runs) this.#createRuns(now, r);
      this.#startQueuedRuns(now, r);
      this.#timeouts(now, r);
      this.#retries(now, r);
      this.#zombies(now, r);
      for (const run of this.#runningRuns()) {
        this.#decide(run, 'all', now, r);
        this.#finalise(run, now, r);
      }
      this.#heartbeat(now);
      // Submitted inside the transaction: starts are recorded in it too, and executors only hand attempts
      // over on a later microtask, i.e. after the commit.
      this.#submit(this.#queue(now, r));
    });
    const due = this.#store.nextRetryDue(this.#scope);
    r.nextWakeAt = earliest(r.nextWakeAt, due ? new Date(due) : undefined);
    return r;
  }

  /** The fast path: apply reported attempt results, schedule their downstream, queue what became ready. */
  processEvents(now: Date, o: { queue?: boolean } = {}): TickResult {
    const r = emptyResult();
    this.#store.transaction(() => {
      this.#applyEvents(now, r);
      if (o.queue !== false) this.#submit(this.#queue(now, r));
    });
    const due = r.retried ? this.#store.nextRetryDue(this.#scope) : undefined;
    r.nextWakeAt = due ? new Date(due) : undefined;
    return r;
  }

  #submit(jobs: AttemptJob[]): void {
    for (const job of jobs) this.#o.executor.submit(job);
  }

  get pendingEvents(): number {
    return this.#pending.length;
  }

  /** Resolves when DAG callbacks started so far have finished. */
  async callbacksDone(): Promise<void> {
    await Promise.all([...this.#callbacks]);
  }

  #runningRuns(): RunKey[] {
    if (this.#o.runs) return this.#o.runs.filter((k) => this.#store.getDagRun(k)?.state === 'running');
    return this.#store
      .listDagRuns({ state: 'running', order: 'asc' })
      .filter((x) => x.run_type !== 'backfill')
      .map((x) => ({ dagId: x.dag_id, runId: x.run_id }));
  }

  #run(k: RunKey): DagRunRow | undefined {
    let row = this.#runs.get(rk(k));
    if (!row) {
      row = this.#store.getDagRun(k);
      if (row) this.#runs.set(rk(k), row);
    }
    return row;
  }

  #createRuns(now: Date, r: TickResult): void {
    for (const dag of this.#o.dags.values()) {
      if (dag.schedule.kind === 'none' || this.#store.getDag(dag.dagId)?.is_paused !== false) continue;
      const { created, wakeAt } = createDueRuns(this.#store, dag, now);
      r.nextWakeAt = earliest(r.nextWakeAt, wakeAt);
      for (const run of created) {
        r.createdRuns.push(run.run_id);
        this.#emitRun(run, now);
        this.#o.logger.info({ dagId: dag.dagId, runId: run.run_id }, 'created DAG run');
      }
    }
  }

  #startQueuedRuns(now: Date, r: TickResult): void {
    const toStart = this.#o.runs
      ? this.#o.runs.flatMap((k) => this.#store.getDagRun(k) ?? []).filter((x) => x.state === 'queued')
      : [...this.#o.dags.values()].flatMap((dag) => runsToStart(this.#store, dag));
    for (const run of toStart) {
      const started = this.#store.startDagRun({ dagId: run.dag_id, runId: run.run_id }, now.toISOString());
      this.#runs.set(rk({ dagId: run.dag_id, runId: run.run_id }), started);
      r.startedRuns.push(run.run_id);
      this.#emitRun(started, now);
    }
  }

  #timeouts(now: Date, r: TickResult): void {
    for (const k of this.#runningRuns()) {
      const dag = this.#o.dags.get(k.dagId);
      const run = this.#store.getDagRun(k);
      if (!dag?.dagrunTimeout || !run?.start_date) continue;
      const deadline = new Date(new Date(run.start_date).getTime() + dag.dagrunTimeout * 1000);
      if (deadline > now) {
        r.nextWakeAt = earliest(r.nextWakeAt, deadline);
        continue;
      }
      const done = this.#store.finishDagRun(k, 'failed', now.toISOString(), { skipUnfinished: true });
      this.#o.logger.warn({ dagId: k.dagId, runId: k.runId }, `run timed out after ${dag.dagrunTimeout} s (dagrunTimeout)`);
      r.timedOutRuns++;
      r.finishedRuns.push({ ...k, state: 'failed' });
      this.#emitRun(done, now);
      this.#dagCallback(dag, done, 'timed_out');
    }
  }

  #retries(now: Date, r: TickResult): void {
    const due = this.#store.scheduleDueRetries(now.toISOString(), this.#scope);
    for (const k of due) this.#emitTask(k, 'scheduled', 0, now);
    r.scheduled += due.length;
  }

  /** Running TIs no live attempt backs: their worker died with a previous scheduler, or stopped heartbeating. */
  #zombies(now: Date, r: TickResult): void {
    if (now.getTime() - this.#lastZombieCheck < (this.#o.zombieCheckIntervalS ?? 5) * 1000) return;
    this.#lastZombieCheck = now.getTime();
    const zombies = findZombies(
      this.#store.runningTis(this.#scope),
      {
        mine: new Set(this.#o.executor.inFlight().map(jobKey)),
        hostname: this.#o.hostname ?? osHostname(),
        isPidAlive: this.#o.isPidAlive ?? isPidAlive,
        thresholdMs: (this.#o.zombieThresholdS ?? 60) * 1000,
        now,
      },
      (ti) => jobKey({ dagId: ti.dag_id, runId: ti.run_id, taskId: ti.task_id }),
    );
    const ends = zombies.map(({ ti, why }) => {
      const key = { dagId: ti.dag_id, runId: ti.run_id, taskId: ti.task_id };
      const msg = `Detected zombie job: {"dag_id": "${ti.dag_id}", "run_id": "${ti.run_id}", "task_id": "${ti.task_id}", "try_number": ${ti.try_number}} (${why})`;
      this.#o.logger.warn(msg);
      try {
        const file = taskLogPath(this.#o.home, { ...key, tryNumber: ti.try_number });
        mkdirSync(path.dirname(file), { recursive: true }); // a quiet attempt may not have made its file yet
        appendFileSync(file, `[${now.toISOString()}] ERROR - ${msg}; marking the attempt failed\n`);
      } catch {
        /* the log folder may be gone; the state change below is what matters */
      }
      return this.#endFor(key, ti.try_number, 'failed', false, now, { xcoms: [], skip: [] });
    });
    r.zombies += ends.length;
    if (ends.length) this.#applyEnds(ends, now, r);
  }

  #heartbeat(now: Date): void {
    const keys = this.#o.executor.inFlight().map((j) => ({ dagId: j.dagId, runId: j.runId, taskId: j.taskId }));
    this.#store.heartbeatTis(keys, now.toISOString());
  }

  #endFor(key: TiKey, tryNumber: number, outcome: 'success' | 'failed' | 'skipped', nonRetryable: boolean, now: Date, extra: { xcoms: AttemptEnd['xcoms']; skip: string[] }, maxTries?: number): AttemptEnd {
    let state: AttemptEnd['state'] = outcome;
    let retryAt: string | null = null;
    if (outcome === 'failed') {
      const ti = maxTries === undefined ? this.#store.getTi(key) : undefined;
      const max = maxTries ?? ti?.max_tries ?? 0;
      if (shouldRetry(tryNumber, max, nonRetryable)) {
        state = 'up_for_retry';
        const task = this.#o.dags.get(key.dagId)?.task(key.taskId);
        const run = this.#run(key);
        const policy = task?.retryPolicy ?? { retries: 0, retryDelay: 300, retryExponentialBackoff: false, maxRetryDelay: undefined };
        retryAt = nextRetryAt(policy, { ...key, logicalDate: run ? new Date(run.logical_date) : now, tryNumber, endDate: now }).toISOString();
      }
    }
    return { key, tryNumber, state, nextRetryAt: retryAt, xcoms: extra.xcoms, skip: extra.skip, fromQueued: true };
  }

  /** Records finished attempts (starts are recorded as they happen, in #recordStart). */
  #applyEvents(now: Date, r: TickResult): void {
    if (this.#pending.length === 0) return;
    const ends = this.#pending.splice(0).flatMap((e) => {
      if (e.type !== 'finished') return [];
      const key = { dagId: e.job.dagId, runId: e.job.runId, taskId: e.job.taskId };
      const res = e.result;
      const end = this.#endFor(key, e.job.tryNumber, res.outcome, res.error?.nonRetryable ?? false, e.at, { xcoms: res.xcoms, skip: res.skip }, e.job.maxTries);
      return [{ ...end, endedAt: e.at.toISOString(), ...(e.startedAt ? { startedAt: e.startedAt.toISOString() } : {}) }];
    });
    if (ends.length) this.#applyEnds(ends, now, r);
  }

  #applyEnds(ends: AttemptEnd[], now: Date, r: TickResult): void {
    const rejected = this.#store.endAttempts(ends, now.toISOString());
    for (const e of rejected) this.#o.logger.warn({ err: e.message }, 'attempt result not recorded');
    const bad = new Set(rejected.map((e) => e.what));
    const touched = new Map<string, { run: RunKey; candidates: Set<string> }>();
    for (const e of ends) {
      if (bad.has(`task instance ${e.key.dagId}/${e.key.runId}/${e.key.taskId}`)) continue;
      r.ended++;
      if (e.state === 'up_for_retry') r.retried++;
      this.#emitTask(e.key, e.state, e.tryNumber, now);
      if (e.state === 'up_for_retry') continue;
      const dag = this.#o.dags.get(e.key.dagId);
      const t = touched.get(rk(e.key)) ?? { run: { dagId: e.key.dagId, runId: e.key.runId }, candidates: new Set<string>() };
      touched.set(rk(e.key), t);
      for (const d of dag?.task(e.key.taskId)?.downstream ?? []) t.candidates.add(d.taskId);
      for (const s of e.skip) {
        this.#emitTask({ ...e.key, taskId: s }, 'skipped', 0, now);
        for (const d of dag?.task(s)?.downstream ?? []) t.candidates.add(d.taskId);
      }
    }
    for (const { run, candidates } of touched.values()) {
      if (this.#store.getDagRun(run)?.state !== 'running') continue;
      if (candidates.size > 0) this.#decide(run, candidates, now, r);
      this.#finalise(run, now, r);
    }
  }

  #decide(run: RunKey, candidates: Iterable<string> | 'all', now: Date, r: TickResult): void {
    const dag = this.#o.dags.get(run.dagId);
    if (!dag) return;
    const decisions = decideRun(this.#store, dag, run, candidates);
    if (decisions.length === 0) return;
    this.#store.applyDecisions(run, decisions, now.toISOString());
    for (const d of decisions) {
      if (d.to === 'scheduled') r.scheduled++;
      else r.settled++;
      this.#emitTask({ ...run, taskId: d.taskId }, d.to, 0, now);
    }
  }

  /** A run ends when no TI is unfinished: failed if any leaf failed or upstream_failed, else success. */
  #finalise(run: RunKey, now: Date, r: TickResult): void {
    const dag = this.#o.dags.get(run.dagId);
    if (!dag || this.#store.hasUnfinishedTis(run)) return;
    const leaves = this.#store.tiStates(run, dag.leaves.map((t) => t.taskId));
    const failed = [...leaves.values()].some((s) => s === 'failed' || s === 'upstream_failed');
    const done = this.#store.finishDagRun(run, failed ? 'failed' : 'success', now.toISOString());
    this.#runs.delete(rk(run));
    r.finishedRuns.push({ ...run, state: done.state });
    this.#emitRun(done, now);
    this.#dagCallback(dag, done, failed ? 'task_failure' : 'success');
  }

  /** Moves ready TIs to queued (within parallelism and max_active_tasks); returns the attempts to submit. */
  #queue(now: Date, r: TickResult): AttemptJob[] {
    const free = this.#o.executor.freeSlots();
    if (free <= 0) return [];
    // A little slack for TIs of DAGs at their max_active_tasks; the next step picks up the rest.
    const cands = this.#store.queueCandidates(free + 8, this.#scope);
    if (cands.length === 0) return [];
    const active = this.#store.activeTiCounts();
    const picked: Array<{ c: QueueCandidate; dag: DAG }> = [];
    for (const c of cands) {
      const dag = this.#o.dags.get(c.dag_id);
      if (!dag?.task(c.task_id)) continue;
      const n = active.get(c.dag_id) ?? 0;
      if (n >= dag.maxActiveTasks) continue;
      active.set(c.dag_id, n + 1);
      picked.push({ c, dag });
      if (picked.length >= free) break;
    }
    if (picked.length === 0) return [];
    const tries = this.#store.queueTis(picked.map(({ c }) => ({ dagId: c.dag_id, runId: c.run_id, taskId: c.task_id })), now.toISOString());
    return picked.map(({ c, dag }, i) => {
      const key = { dagId: c.dag_id, runId: c.run_id, taskId: c.task_id };
      const run = this.#run(key)!;
      const tryNumber = tries[i]!;
      const job: AttemptJob = {
        ...key,
        tryNumber,
        maxTries: c.max_tries,
        fileloc: dag.fileloc,
        logicalDate: run.logical_date,
        dataIntervalStart: run.data_interval_start ?? run.logical_date,
        dataIntervalEnd: run.data_interval_end ?? run.logical_date,
        conf: run.conf,
        runType: run.run_type,
        home: this.#o.home,
        dbFile: this.#store.file,
        logFile: taskLogPath(this.#o.home, { ...key, tryNumber }),
        executionTimeout: dag.task(c.task_id)!.executionTimeout,
      };
      r.queued++;
      this.#emitTask(key, 'queued', tryNumber, now);
      return job;
    });
  }

  #dagCallback(dag: DAG, run: DagRunRow, reason: string): void {
    const cb = run.state === 'success' ? dag.onSuccess : dag.onFailure;
    if (!cb) return;
    const logger = this.#o.logger.child({ dagId: dag.dagId, runId: run.run_id });
    const ctx: CallbackContext = { dag, dagId: dag.dagId, runId: run.run_id, logicalDate: new Date(run.logical_date), state: run.state, reason, logger };
    const p = Promise.resolve()
      .then(() => cb(ctx))
      .catch((e: unknown) => logger.error({ err: coerceError(e) }, `the DAG's ${run.state} callback failed; the run's state is unchanged`))
      .finally(() => this.#callbacks.delete(p));
    this.#callbacks.add(p);
  }

  #emitRun(run: DagRunRow, at: Date): void {
    this.#o.onEvent?.({ type: 'run', dagId: run.dag_id, runId: run.run_id, state: run.state, at });
  }
  #emitTask(k: TiKey, state: TaskState | null, tryNumber: number, at: Date): void {
    this.#o.onEvent?.({ type: 'task', dagId: k.dagId, runId: k.runId, taskId: k.taskId, state, tryNumber, at });
  }
}

