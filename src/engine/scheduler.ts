/**
 * The scheduler as a step function. `tick(now)` creates due runs, starts queued runs, fails timed-out runs,
 * reschedules due retries, detects zombies, evaluates dependencies, finalises runs from their leaves and
 * queues ready task instances to the executor; it returns what changed. `processEvents(now)` is the fast
 * path: workers record their attempts' ends themselves and the executor tells this scheduler at once, which
 * schedules their downstream in the same turn. It records an end only for an attempt nobody else can: one
 * whose worker died (the executor `released` it unfinished) or stopped heartbeating (a zombie).
 * All state lives in the store; tests call these with a fake clock and assert on stored state.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import type { DAG } from './dag.js';
import { coerceError } from './errors.js';
import { decideRun } from './evaluate.js';
import { taskLogPath } from './executor/task-log.js';
import { jobKey, type AttemptJob, type Executor, type ExecutorEvent } from './executor/types.js';
import type { CallbackContext } from './operator.js';
import { attemptEnd, type RetryPolicy } from './retry.js';
import { LOCK_STALE_S } from './lock.js';
import { createDueRuns, runsToStart } from './run-creation.js';
import { findZombies, isPidAlive, isWorkerProcess, killProcessGroup } from './zombies.js';
import type { DagRunState, TaskState, TiState } from './states.js';
import type { DagRunRow, PoolRow, RunKey, TiKey } from './store/rows.js';
import { perTaskKey, type AttemptEnd, type QueueCandidate, type Store } from './store/store.js';

export { isPidAlive };

export type RunEvent =
  | { type: 'run'; dagId: string; runId: string; state: DagRunState; at: Date }
  | { type: 'task'; dagId: string; runId: string; taskId: string; /** -1 unless mapped. */ mapIndex: number; state: TaskState | null; tryNumber: number; at: Date };

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
  /** Seconds between an attempt's heartbeats, written by its worker (default 5, Airflow's job_heartbeat_sec). */
  heartbeatS?: number;
  /** Seconds without a heartbeat before another scheduler counts as dead (default 30, Airflow's scheduler_health_check_threshold). */
  schedulerHealthCheckS?: number;
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
const NO_RETRY: RetryPolicy = { retries: 0, retryDelay: 300, retryExponentialBackoff: false, maxRetryDelay: undefined };
/** Milliseconds before queueing again when another scheduler held the queueing lock. */
const QUEUEING_RETRY_MS = 20;
/** Seconds between ticks while attempts this scheduler adopted run (their ends reach it only through the store). */
const ADOPTED_POLL_S = 1;

/** An end now in the store, from a worker's report or recorded here. */
interface Ended {
  key: TiKey;
  tryNumber: number;
  state: TiState;
  skip: string[];
}

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #store: Store;
  readonly #scope: { runs?: readonly RunKey[]; excludeBackfill: boolean };
  readonly #pending: ExecutorEvent[] = [];
  readonly #runs = new Map<string, DagRunRow>();
  readonly #callbacks = new Set<Promise<void>>();
  /** Names this scheduler in the task instances it queues (queued_by): only its workers may start them. */
  readonly id = randomUUID();
  #lastZombieCheck = 0;
  /** The queue executor heard of a change recorded elsewhere: the next flush is a whole tick. */
  #tickWanted = false;
  /** Attempts running that no executor of this scheduler holds (a previous scheduler's workers; with the job queue, a dead scheduler's). */
  #adopted = false;
  readonly #warned = new Set<string>();
  /** The pools and their sizes, read again on every tick (a resize applies within one). */
  #pools: PoolRow[] | undefined;
  /** Pools the loaded DAGs' tasks name. */
  readonly #namedPools: ReadonlySet<string>;
  /** Tasks with a max_active_tis_per_dag (few): left out of queueing while at it. */
  readonly #capped: ReadonlyArray<{ dagId: string; taskId: string; cap: number }>;
  /** Called when an attempt finished (the daemon flushes it at once, to schedule its downstream). */
  onWork: () => void = () => {};

  constructor(o: SchedulerOptions) {
    this.#o = o;
    this.#store = o.store;
    this.#scope = o.runs ? { runs: o.runs, excludeBackfill: false } : { excludeBackfill: true };
    this.#namedPools = new Set([...o.dags.values()].flatMap((d) => d.tasks.map((t) => t.pool)));
    this.#capped = [...o.dags.values()].flatMap((d) => d.tasks.flatMap((t) => (t.maxActiveTisPerDag !== undefined ? [{ dagId: d.dagId, taskId: t.taskId, cap: t.maxActiveTisPerDag }] : [])));
    o.executor.onEvent((e) => {
      if (e.type === 'changed') {
        this.#tickWanted = true; // something was recorded elsewhere that the executor cannot name: a tick's work
        this.onWork();
        return;
      }
      if (e.type === 'begun') {
        this.#emitTask(e.job, 'running', e.job.tryNumber, e.at); // recorded by its worker
        return;
      }
      this.#pending.push(e);
      this.onWork();
    });
  }

  /** Attempts that were queued to an executor that no longer exists go back to scheduled (startup). */
  recover(now: Date): TiKey[] {
    if (this.#o.executor.kind === 'queue') return []; // queued attempts wait in the job queue, for any worker
    const reset = this.#store.resetQueued(this.#scope);
    for (const k of reset) this.#emitTask(k, 'scheduled', 0, now);
    if (reset.length) this.#o.logger.warn({ count: reset.length }, 'reset orphaned queued task instances to scheduled');
    return reset;
  }

  tick(now: Date): TickResult {
    this.#tickWanted = false;
    const r = emptyResult();
    this.#pools = undefined;
    // One transaction per step (each transition inside stays guarded).
    this.#store.transaction(() => {
      this.#applyEvents(now, r);
      if (!this.#o.runs) this.#createRuns(now, r);
      this.#startQueuedRuns(now, r);
      this.#timeouts(now, r);
      this.#retries(now, r);
      this.#zombies(now, r);
      for (const run of this.#runningRuns()) {
        // One run that cannot be scheduled (a DAG changed under it) must not hold up the others.
        try {
          this.#store.savepoint(() => {
            this.#decide(run, 'all', now, r);
            this.#finalise(run, now, r);
          });
        } catch (e) {
          const err = coerceError(e);
          this.#warnOnce(`run:${rk(run)}:${err.message}`, { ...run, err }, `could not schedule run ${run.dagId}/${run.runId}; the other runs go on: ${err.message}`);
        }
      }
      // Submitted inside the transaction: executors hand attempts over on a later microtask, i.e. after the
      // commit, so a worker never sees an attempt that is not `queued` yet.
      this.#submit(this.#queue(now, r));
    });
    if (this.#adopted) r.nextWakeAt = earliest(r.nextWakeAt, new Date(now.getTime() + ADOPTED_POLL_S * 1000));
    const due = this.#store.nextRetryDue(this.#scope);
    r.nextWakeAt = earliest(r.nextWakeAt, due ? new Date(due) : undefined);
    return r;
  }

  /** The fast path: apply reported attempt results, schedule their downstream, queue what became ready. */
  processEvents(now: Date, o: { queue?: boolean } = {}): TickResult {
    if (this.#tickWanted) return this.tick(now);
    const r = emptyResult();
    this.#store.transaction(() => {
      this.#applyEvents(now, r);
      if (o.queue !== false) this.#submit(this.#queue(now, r));
    });
    const due = r.retried ? this.#store.nextRetryDue(this.#scope) : undefined;
    r.nextWakeAt = earliest(r.nextWakeAt, due ? new Date(due) : undefined);
    return r;
  }

  #submit(jobs: AttemptJob[]): void {
    if (jobs.length) this.#o.executor.submit(jobs);
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
    return this.#store.claimRunningRuns(true);
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
      if (!this.#store.claimDag(dag.dagId)) continue; // another scheduler is creating its runs
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
      : [...this.#o.dags.values()].flatMap((dag) => (this.#store.claimDag(dag.dagId) ? runsToStart(this.#store, dag) : []));
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

  /**
   * Live attempts (running, restarting) that nothing backs any more: their process is gone (this host), or
   * their worker stopped heartbeating. What is left of the process group is killed first, so the attempt's
   * command cannot finish after its try was failed. Attempts this scheduler's executor holds are watched by
   * it (a worker's death is reported at once); a previous scheduler's live ones are adopted as they are.
   */
  #zombies(now: Date, r: TickResult): void {
    if (now.getTime() - this.#lastZombieCheck < (this.#o.zombieCheckIntervalS ?? 5) * 1000) return;
    this.#lastZombieCheck = now.getTime();
    const queue = this.#o.executor.kind === 'queue';
    if (queue) this.#reclaimDeadWorkers(now);
    const orphans = queue && this.#adoptFromDeadSchedulers(now);
    const mine = new Set(this.#o.executor.inFlight().map(jobKey));
    const host = this.#o.hostname ?? osHostname();
    const live = this.#store.liveAttempts(this.#scope);
    const tiKey = (ti: (typeof live)[number]): string => jobKey({ dagId: ti.dag_id, runId: ti.run_id, taskId: ti.task_id, mapIndex: ti.map_index });
    const alive = this.#o.isPidAlive ?? isPidAlive;
    const zombies = findZombies(live, { mine, hostname: host, isPidAlive: alive, thresholdMs: (this.#o.zombieThresholdS ?? 60) * 1000, now }, tiKey);
    // With the job queue every live scheduler hears of its own attempts' ends; only a dead one's are adopted.
    this.#adopted = queue ? orphans : live.length > zombies.length + live.filter((ti) => mine.has(tiKey(ti))).length;
    const ends = zombies.map(({ ti, why }) => {
      const key = { dagId: ti.dag_id, runId: ti.run_id, taskId: ti.task_id, mapIndex: ti.map_index };
      // A dead worker's group (its orphaned children) is safe to kill; a live pid only if it is a worker's.
      if (ti.hostname === host && ti.pid !== null && ti.pid !== process.pid && (!alive(ti.pid) || isWorkerProcess(ti.pid))) killProcessGroup(ti.pid);
      const msg = `Detected zombie job: {"dag_id": "${ti.dag_id}", "run_id": "${ti.run_id}", "task_id": "${ti.task_id}", "map_index": ${ti.map_index}, "try_number": ${ti.try_number}} (${why})`;
      this.#o.logger.warn(msg);
      this.#appendToAttemptLog({ ...key, tryNumber: ti.try_number }, now, `${msg}; marking the attempt failed`);
      return this.#failedEnd(key, ti.try_number, ti.max_tries, now);
    });
    r.zombies += ends.length;
    if (ends.length) this.#record(ends, now, r);
  }

  /**
   * `dagctl worker` processes that stopped heartbeating: the jobs they had taken go back to the queue, where
   * another worker runs what in them never started (those they started are zombies, found below).
   */
  #reclaimDeadWorkers(now: Date): void {
    const staleBefore = new Date(now.getTime() - (this.#o.zombieThresholdS ?? 60) * 1000).toISOString();
    for (const { worker, requeued } of this.#store.reclaimDeadQueueWorkers(staleBefore)) {
      this.#o.logger.warn({ worker: worker.id, pid: worker.pid, hostname: worker.hostname, requeued }, 'a dagctl worker stopped heartbeating: the jobs it had taken go back to the queue');
    }
  }

  /**
   * Schedulers that stopped heartbeating: their rows go, and what they had queued is adopted. Nothing is owned
   * but the attempts' ends: their runs' row locks went with the dead one's connection and its attempts stay in
   * the queue, so this scheduler ticks every ADOPTED_POLL_S while any attempt of a scheduler without a row is
   * queued or running (its end notifies nobody listening for it).
   */
  #adoptFromDeadSchedulers(now: Date): boolean {
    const staleBefore = new Date(now.getTime() - (this.#o.schedulerHealthCheckS ?? LOCK_STALE_S) * 1000).toISOString();
    for (const s of this.#store.reclaimDeadSchedulers(staleBefore)) {
      this.#o.logger.warn({ scheduler: s.id, pid: s.pid, hostname: s.hostname, heartbeat: s.heartbeat_at }, 'a scheduler stopped heartbeating: this one adopts the attempts it had queued');
    }
    return this.#store.hasOrphanedAttempts();
  }

  /** The executor's last word on an attempt goes into its log, where its user looks (a quiet attempt may have no file yet). */
  #appendToAttemptLog(a: TiKey & { tryNumber: number }, now: Date, line: string): void {
    try {
      const file = taskLogPath(this.#o.home, a);
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, `[${now.toISOString()}] ERROR - ${line}\n`);
    } catch {
      /* the log folder may be gone; the state change is what matters */
    }
  }

  #failedEnd(key: TiKey, tryNumber: number, maxTries: number, now: Date): AttemptEnd {
    const run = this.#run(key);
    const retryPolicy = this.#o.dags.get(key.dagId)?.task(key.taskId)?.retryPolicy ?? NO_RETRY;
    return attemptEnd({ key, tryNumber, maxTries, retryPolicy, logicalDate: run ? new Date(run.logical_date) : now }, 'failed', { nonRetryable: false, at: now });
  }

  /** Reacts to what the executor reported: ends its workers recorded, and attempts it released unfinished. */
  #applyEvents(now: Date, r: TickResult): void {
    if (this.#pending.length === 0) return;
    const ended: Ended[] = [];
    const lost: AttemptEnd[] = [];
    for (const e of this.#pending.splice(0)) {
      if (e.type === 'changed') continue; // never queued: handled by the listener
      const key = { dagId: e.job.dagId, runId: e.job.runId, taskId: e.job.taskId, mapIndex: e.job.mapIndex };
      if (e.type === 'ended') {
        if (e.state !== undefined) ended.push({ key, tryNumber: e.job.tryNumber, state: e.state, skip: e.skip });
        // Changed from outside meanwhile (marked, cleared, timed out): what that means for its run is a tick's work; now.
        else r.nextWakeAt = now;
        continue;
      }
      if (e.type !== 'released') continue;
      if (e.error.code === 'externally_set') r.nextWakeAt = now; // what its new state means for its run is a tick's work
      const ti = this.#store.getTi(key);
      if (!ti || ti.try_number !== e.job.tryNumber) continue; // long over: a later try runs
      if (ti.state === 'queued' && ti.queued_by === this.id) {
        this.#o.executor.submit([e.job]); // never started: hand it out again, same try
      } else if ((ti.state === 'running' || ti.state === 'restarting') && ti.pid === e.pid) {
        // It was running in that worker, which is gone: nobody else can record its end. A cleared one
        // (restarting) goes back to none; the others fail (retried if they have tries left).
        if (e.error.code !== 'externally_set') {
          this.#appendToAttemptLog({ ...key, tryNumber: e.job.tryNumber }, e.at, e.error.message);
          this.#o.logger.warn({ ...key, tryNumber: e.job.tryNumber }, e.error.message);
        }
        lost.push(this.#failedEnd(key, e.job.tryNumber, e.job.maxTries, e.at));
      }
    }
    if (lost.length) this.#record(lost, now, r);
    if (ended.length) this.#react(ended, now, r);
  }

  /** Records ends no worker can (released unfinished, zombies), fenced by try like a worker's, and reacts to those that applied. */
  #record(ends: AttemptEnd[], now: Date, r: TickResult): void {
    const outcomes = this.#store.endAttempts(ends, now.toISOString());
    const applied: Ended[] = [];
    outcomes.forEach((o, i) => {
      const e = ends[i]!;
      if ('refused' in o) this.#o.logger.warn({ err: o.refused.message }, 'attempt end not recorded');
      else applied.push({ key: e.key, tryNumber: e.tryNumber, state: o.state, skip: e.skip });
    });
    this.#react(applied, now, r);
  }

  /** Schedules what depends on attempts that just ended, and finalises their runs. */
  #react(ended: readonly Ended[], now: Date, r: TickResult): void {
    const touched = new Map<string, { run: RunKey; candidates: Set<string> }>();
    for (const e of ended) {
      r.ended++;
      if (e.state === 'up_for_retry') r.retried++;
      this.#emitTask(e.key, e.state, e.tryNumber, now);
      if (e.state === 'up_for_retry') continue;
      const dag = this.#o.dags.get(e.key.dagId);
      const t = touched.get(rk(e.key)) ?? { run: { dagId: e.key.dagId, runId: e.key.runId }, candidates: new Set<string>() };
      touched.set(rk(e.key), t);
      // A cleared attempt that ended (restarting -> none) is itself ready to be scheduled again.
      if (e.state === null) t.candidates.add(e.key.taskId);
      for (const d of dag?.task(e.key.taskId)?.downstream ?? []) t.candidates.add(d.taskId);
      for (const s of e.skip) {
        this.#emitTask({ dagId: e.key.dagId, runId: e.key.runId, taskId: s }, 'skipped', 0, now);
        for (const d of dag?.task(s)?.downstream ?? []) t.candidates.add(d.taskId);
      }
    }
    // In key order: two schedulers locking the same runs take them in the same order (no deadlock).
    for (const { run, candidates } of [...touched.values()].sort((a, b) => (rk(a.run) < rk(b.run) ? -1 : 1))) {
      this.#store.lockRun(run);
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
    for (const d of this.#store.applyDecisions(run, decisions, now.toISOString())) {
      if (d.to === 'scheduled') r.scheduled++;
      else r.settled++;
      this.#emitTask({ dagId: run.dagId, runId: run.runId, taskId: d.taskId, mapIndex: d.mapIndex }, d.to, 0, now);
    }
  }

  /** A run ends when no TI is unfinished: failed if any leaf failed or upstream_failed, else success. */
  #finalise(run: RunKey, now: Date, r: TickResult): void {
    const dag = this.#o.dags.get(run.dagId);
    if (!dag || this.#store.hasUnfinishedTis(run)) return;
    const leaves = this.#store.tiStates(run, dag.leaves.map((t) => t.taskId));
    const failed = [...leaves.values()].some((list) => list.some((s) => s === 'failed' || s === 'upstream_failed'));
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
    if (!this.#store.claimQueueing()) {
      // One scheduler at a time counts the pools' and DAGs' slots and queues: try again in a moment (a fast-path
      // flush), in case the one queueing now read the task instances before this step scheduled them.
      setTimeout(() => this.onWork(), QUEUEING_RETRY_MS).unref();
      return [];
    }
    const { tasksPerDag: active, tisPerTask, slotsPerPool: taken } = this.#store.inFlightCounts(this.#capped);
    this.#pools ??= this.#store.listPools();
    const open = new Map(this.#pools.map((p) => [p.pool, p.slots - (taken.get(p.pool) ?? 0)]));
    for (const pool of this.#namedPools) {
      if (!open.has(pool)) this.#warnOnce(`pool:${pool}`, { pool }, `task instances in pool '${pool}' are not queued: the pool does not exist (create it with \`dagctl pools set ${pool} N\`)`);
    }
    const openPools = [...open].filter(([, n]) => n > 0).map(([pool]) => pool);
    if (openPools.length === 0) return [];
    // A little slack for TIs held back (their DAG at max_active_tasks, too many slots for what is left of
    // their pool); the next step picks up the rest. A full pool is not asked at all.
    const atCap = this.#capped.filter((t) => (tisPerTask.get(perTaskKey(t.dagId, t.taskId)) ?? 0) >= t.cap);
    // No pool takes more than its open slots: asking for more read (and on PostgreSQL sorted) rows that wait anyway.
    const wanted = Math.min(free, Math.max(...openPools.map((p) => open.get(p)!)));
    const cands = this.#store.queueCandidates(wanted + 8, this.#scope, openPools, atCap);
    const picked: Array<{ c: QueueCandidate; dag: DAG }> = [];
    for (const c of cands) {
      const dag = this.#o.dags.get(c.dag_id);
      const task = dag?.task(c.task_id);
      if (!dag || !task) continue;
      const n = active.get(c.dag_id) ?? 0;
      if (n >= dag.maxActiveTasks) continue;
      const perTask = perTaskKey(c.dag_id, c.task_id);
      const ofTask = tisPerTask.get(perTask) ?? 0;
      if (task.maxActiveTisPerDag !== undefined && ofTask >= task.maxActiveTisPerDag) continue;
      const left = open.get(c.pool) ?? 0;
      if (left < c.pool_slots) continue;
      open.set(c.pool, left - c.pool_slots);
      active.set(c.dag_id, n + 1);
      tisPerTask.set(perTask, ofTask + 1);
      picked.push({ c, dag });
      if (picked.length >= free) break;
    }
    if (picked.length === 0) return [];
    const keyOf = (c: QueueCandidate): TiKey => ({ dagId: c.dag_id, runId: c.run_id, taskId: c.task_id, mapIndex: c.map_index });
    const tries = this.#store.queueTis(picked.map(({ c }) => keyOf(c)), now.toISOString(), this.id);
    return picked.map(({ c, dag }, i) => {
      const key = keyOf(c);
      const run = this.#run(key)!;
      const tryNumber = tries[i]!;
      const task = dag.task(c.task_id)!;
      // Every field by name: an object spread followed by more properties costs ~2 µs per property on Node 20
      // (V8's slow path; 35 µs for this one, measured), and this runs for every attempt.
      const job: AttemptJob = {
        dagId: c.dag_id,
        runId: c.run_id,
        taskId: c.task_id,
        mapIndex: c.map_index,
        tryNumber,
        maxTries: c.max_tries,
        queuedBy: this.id,
        queuedAt: now.toISOString(),
        retryPolicy: task.retryPolicy,
        heartbeatS: this.#o.heartbeatS ?? 5,
        fileloc: dag.fileloc,
        logicalDate: run.logical_date,
        dataIntervalStart: run.data_interval_start ?? run.logical_date,
        dataIntervalEnd: run.data_interval_end ?? run.logical_date,
        conf: run.conf,
        runType: run.run_type,
        home: this.#o.home,
        database: this.#store.location,
        logFile: taskLogPath(this.#o.home, { tryNumber, ...key }),
        executionTimeout: task.executionTimeout,
      };
      r.queued++;
      this.#emitTask(key, 'queued', tryNumber, now);
      return job;
    });
  }

  /** Logs a warning once per scheduler for a condition that repeats every step (a pool that does not exist). */
  #warnOnce(key: string, fields: Record<string, unknown>, msg: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#o.logger.warn(fields, msg);
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
    this.#o.onEvent?.({ type: 'task', dagId: k.dagId, runId: k.runId, taskId: k.taskId, mapIndex: k.mapIndex ?? -1, state, tryNumber, at });
  }
}

