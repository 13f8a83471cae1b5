/** The Engine facade's implementation (service.ts holds its interface and openEngine). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { DAG } from './dag.js';
import type { DagBag } from './dagbag.js';
import { createRun, runIdFor } from './dagrun.js';
import { driveRuns, watchRun } from './drive.js';
import { coerceError, DagNotFoundError, DagPausedError, DagRunNotFoundError, InvalidConfError, MapIndexNotFoundError, PoolError, TaskNotFoundError } from './errors.js';
import { runAttempt, xcomReaders } from './executor/attempt.js';
import { pullXcom } from './mapping.js';
import { InProcessExecutor } from './executor/in-process.js';
import { ProcessPool } from './executor/pool.js';
import { taskLogPath } from './executor/task-log.js';
import type { Executor } from './executor/types.js';
import { failedDepsOf, selectForClear } from './inspect.js';
import { isJsonObject, type Json } from './json.js';
import { holderAlive, SchedulerLock, type LockKind } from './lock.js';
import { runLoop } from './loop.js';
import { intervalAt, intervalsBetween, manualDataInterval, nextExecutions } from './schedule.js';
import { Scheduler, type RunEvent } from './scheduler.js';
import { SchedulerJob } from './scheduler-job.js';
import { aliveJobs } from './jobs.js';
import { dagAsDot, dagAsText } from './show.js';
import type { DagRunState, TaskState } from './states.js';
import type { DagRow, DagRunRow, RunKey, TaskInstanceRow } from './store/rows.js';
import { dbFile, openStore } from './store/open.js';
import { openSqliteStore } from './store/sqlite.js';
import { QueueNeedsPostgresError } from './store/sql-scale-out.js';
import type { Store } from './store/store.js';
import { syncBag } from './bag-sync.js';
import type { ClearOptions, Engine, EngineOptions, PoolInfo, TaskRow } from './service.js';
import { validateId } from './operator.js';
import type { PoolRow } from './store/rows.js';

const poolInfo = (p: PoolRow, occupied: number): PoolInfo => ({
  name: p.pool,
  slots: p.slots,
  occupied_slots: occupied,
  open_slots: Math.max(0, p.slots - occupied),
  description: p.description,
});

interface Deps extends EngineOptions {
  clock: Clock;
  store: Store;
  bag: DagBag;
}

export class EngineImpl implements Engine {
  readonly #d: Deps;
  readonly #store: Store;
  readonly #log: Logger;
  #pool: ProcessPool | undefined;

  constructor(d: Deps) {
    this.#d = d;
    this.#store = d.store;
    this.#log = d.logger;
  }

  // ---- DAG bag
  listDags(): DagRow[] {
    return this.#store.listDags();
  }
  getDag(dagId: string): DAG {
    const dag = this.#d.bag.dags.get(dagId);
    if (!dag) throw new DagNotFoundError(dagId, [...this.#d.bag.dags.keys()].sort());
    return dag;
  }
  importErrors() {
    return this.#store.listImportErrors();
  }
  showDag(dagId: string, format: 'text' | 'dot'): string {
    const dag = this.getDag(dagId);
    return format === 'dot' ? dagAsDot(dag) : dagAsText(dag);
  }
  setPaused(dagId: string, paused: boolean): DagRow {
    this.getDag(dagId);
    return this.#store.setPaused(dagId, paused)!;
  }
  nextExecution(dagId: string, n: number): Date[] {
    const dag = this.getDag(dagId);
    const last = this.#store.latestScheduledRun(dagId);
    return nextExecutions(dag.scheduleInput, last?.data_interval_start ? new Date(last.data_interval_start) : undefined, this.#d.clock.now(), n);
  }

  // ---- runs
  triggerDagRun(dagId: string, o: { conf?: Json; logicalDate?: Date; runId?: string } = {}): DagRunRow {
    const dag = this.getDag(dagId);
    if (o.conf !== undefined && !isJsonObject(o.conf)) throw new InvalidConfError(`conf must be a JSON object, got ${JSON.stringify(o.conf)}`);
    const now = this.#d.clock.now();
    const logicalDate = o.logicalDate ?? now;
    const interval = manualDataInterval(dag.schedule, logicalDate);
    const run = createRun(
      this.#store,
      dag,
      { runType: 'manual', logicalDate, dataIntervalStart: interval.start, dataIntervalEnd: interval.end, conf: o.conf ?? {}, ...(o.runId ? { runId: o.runId } : {}) },
      now,
    );
    this.#store.wakeSchedulers(); // they start it now rather than at their next timed tick (PostgreSQL)
    return run;
  }
  listDagRuns(q: { dagId?: string; state?: DagRunState; limit?: number } = {}): DagRunRow[] {
    if (q.dagId !== undefined) this.getDag(q.dagId);
    return this.#store.listDagRuns(q);
  }
  getDagRun(dagId: string, runId: string): DagRunRow {
    const r = this.#store.getDagRun({ dagId, runId });
    if (!r) throw new DagRunNotFoundError(dagId, runId);
    return r;
  }
  dagRunState(dagId: string, logicalDate: Date): DagRunState | null {
    this.getDag(dagId);
    return this.#store.getDagRunByLogicalDate(dagId, logicalDate.toISOString())?.state ?? null;
  }

  /** Airflow 2's BackfillJob: creates backfill runs for [start, end] and drives them in this process. */
  async backfill(dagId: string, start: Date, end: Date, o: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal } = {}): Promise<DagRunRow[]> {
    const dag = this.getDag(dagId);
    const now = this.#d.clock.now();
    const keys: RunKey[] = [];
    for (const d of intervalsBetween(dag.scheduleInput, start, end)) {
      const existing = this.#store.getDagRunByLogicalDate(dagId, d.toISOString());
      if (existing) {
        if (existing.state !== 'success') keys.push({ dagId, runId: existing.run_id });
        continue;
      }
      const iv = intervalAt(dag.schedule, d);
      const run = createRun(this.#store, dag, { runType: 'backfill', logicalDate: d, dataIntervalStart: iv.start, dataIntervalEnd: iv.end }, now);
      keys.push({ dagId, runId: run.run_id });
    }
    await driveRuns({ ...this.#driveBase(), executor: this.#processPool(), runs: keys, ...(o.onEvent ? { onEvent: o.onEvent } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    return intervalsBetween(dag.scheduleInput, start, end).flatMap((d) => this.#store.getDagRunByLogicalDate(dagId, d.toISOString()) ?? []);
  }

  // ---- task instances
  listTasks(dagId: string): TaskRow[] {
    return this.getDag(dagId).topologicalOrder().map((t) => ({
      task_id: t.taskId,
      operator: t.operatorName,
      trigger_rule: t.triggerRule,
      retries: t.retries,
      retry_delay: t.retryDelay,
      retry_exponential_backoff: t.retryExponentialBackoff,
      max_retry_delay: t.maxRetryDelay ?? null,
      execution_timeout: t.executionTimeout ?? null,
      pool: t.pool,
      pool_slots: t.poolSlots,
      is_mapped: t.isMapped,
      max_active_tis_per_dag: t.maxActiveTisPerDag ?? null,
      priority_weight: t.priorityWeight,
      weight_rule: t.weightRule,
      owner: t.owner,
      upstream_task_ids: t.upstreamTaskIds,
      downstream_task_ids: t.downstreamTaskIds,
      doc: t.doc ?? null,
    }));
  }
  taskInstances(dagId: string, runId: string): TaskInstanceRow[] {
    const dag = this.getDag(dagId);
    this.getDagRun(dagId, runId);
    const order = new Map(dag.topologicalOrder().map((t, i) => [t.taskId, i]));
    return this.#store.listTis({ dagId, runId }).sort((a, b) => (order.get(a.task_id) ?? 1e9) - (order.get(b.task_id) ?? 1e9));
  }
  taskInstance(dagId: string, runId: string, taskId: string, mapIndex = -1): TaskInstanceRow {
    const dag = this.getDag(dagId);
    this.getDagRun(dagId, runId);
    const ti = this.#store.getTi({ dagId, runId, taskId, mapIndex });
    if (ti) return ti;
    if (!dag.hasTask(taskId)) throw new TaskNotFoundError(dagId, taskId, dag.taskIds);
    const indexes = this.#store.listTis({ dagId, runId }).filter((t) => t.task_id === taskId).map((t) => t.map_index);
    throw new MapIndexNotFoundError(dagId, runId, taskId, mapIndex, indexes);
  }
  clearTaskInstances(dagId: string, o: ClearOptions): TaskInstanceRow[] {
    const dag = this.getDag(dagId);
    if (o.runId !== undefined) this.getDagRun(dagId, o.runId);
    const selected = selectForClear(this.#store, dag, o);
    if (o.dryRun) return selected;
    return this.#store.clearTis(
      selected.map((ti) => {
        const task = dag.task(ti.task_id);
        return {
          key: { dagId, runId: ti.run_id, taskId: ti.task_id, mapIndex: ti.map_index },
          retries: task?.retries ?? 0,
          ...(task ? { pool: { pool: task.pool, poolSlots: task.poolSlots, priorityWeight: dag.priorityOf(task.taskId) } } : {}),
        };
      }),
      this.#d.clock.now().toISOString(),
    );
  }
  markTaskInstance(dagId: string, runId: string, taskId: string, state: 'success' | 'failed' | 'skipped', mapIndex = -1): TaskInstanceRow {
    this.taskInstance(dagId, runId, taskId, mapIndex);
    return this.#store.markTi({ dagId, runId, taskId, mapIndex }, state, this.#d.clock.now().toISOString());
  }
  listPools(): PoolInfo[] {
    const taken = this.#store.inFlightCounts().slotsPerPool;
    return this.#store.listPools().map((p) => poolInfo(p, taken.get(p.pool) ?? 0));
  }
  getPool(name: string): PoolInfo {
    const p = this.#store.getPool(name);
    if (!p) throw PoolError.notFound(name, this.#store.listPools().map((x) => x.pool));
    return poolInfo(p, this.#store.inFlightCounts().slotsPerPool.get(name) ?? 0);
  }
  setPool(name: string, slots: number, description?: string): PoolInfo {
    try {
      validateId('pool', name);
    } catch (e) {
      throw new PoolError('invalid_pool', coerceError(e).message, 'pool names use letters, digits, _ . -');
    }
    if (!Number.isInteger(slots) || slots < 0) throw new PoolError('invalid_pool', `pool slots must be a whole number >= 0, got ${slots}`, 'e.g. `dagctl pools set training 1`');
    this.#store.setPool(name, slots, description);
    return this.getPool(name);
  }
  deletePool(name: string): void {
    if (name === 'default_pool') throw new PoolError('invalid_pool', 'default_pool cannot be deleted', 'resize it instead: `dagctl pools set default_pool N`');
    if (!this.#store.deletePool(name)) throw PoolError.notFound(name, this.#store.listPools().map((x) => x.pool));
  }

  failedDeps(dagId: string, runId: string, taskId: string, mapIndex = -1): string[] {
    const dag = this.getDag(dagId);
    const ti = this.taskInstance(dagId, runId, taskId, mapIndex);
    return failedDepsOf(this.#store, dag, this.getDagRun(dagId, runId), ti, this.#d.clock.now());
  }
  taskLog(dagId: string, runId: string, taskId: string, tryNumber?: number, mapIndex = -1): string {
    const ti = this.taskInstance(dagId, runId, taskId, mapIndex);
    const n = tryNumber ?? ti.try_number;
    if (n < 1) return `*** task ${taskId} has not run yet (state ${ti.state ?? 'none'}); there is no log\n`;
    const file = taskLogPath(this.#d.home, { dagId, runId, taskId, mapIndex, tryNumber: n });
    if (!existsSync(file)) {
      // A quick attempt that logged nothing leaves no file (see task-log.ts); its record is in the database.
      if (n === ti.try_number && ti.state === 'success' && ti.start_date && ti.end_date) {
        return `*** attempt ${n} wrote no log output (no file ${file}); from the database:\n` +
          `[${ti.start_date}] INFO - Starting attempt ${n} of ${ti.max_tries + 1} (run ${runId})\n` +
          `[${ti.end_date}] INFO - Marking task as SUCCESS (${dagId}/${runId}/${taskId})\n`;
      }
      return `*** no log file for attempt ${n}: ${file}\n`;
    }
    return `*** Reading local file: ${file}\n${readFileSync(file, 'utf8')}`;
  }
  /** An XCom of one task instance; of a mapped task without a map index, the list of its instances' (as xcomPull). */
  xcom(dagId: string, runId: string, taskId: string, key = 'return_value', mapIndex?: number): Json | undefined {
    const task = this.getDag(dagId).task(taskId);
    if (mapIndex === undefined && task?.isMapped) {
      this.getDagRun(dagId, runId);
      return pullXcom(this.#store, { dagId, runId }, task, key);
    }
    this.taskInstance(dagId, runId, taskId, mapIndex);
    return this.#store.getXcom({ dagId, runId, taskId, mapIndex }, key);
  }

  // ---- execution
  async runScheduler(o: { once?: boolean; signal?: AbortSignal; onEvent?: (e: RunEvent) => void }): Promise<void> {
    // The local executor's scheduler owns the database alone; with the job queue, several share it.
    const queue = this.#d.executor === 'queue';
    const lock = queue ? undefined : new SchedulerLock(this.#store, this.#d.clock, 'scheduler');
    const previous = lock?.acquire();
    if (previous) this.#log.warn({ previous }, 'took over the database from a scheduler that is gone');
    const executor = queue ? await this.#queueExecutor() : this.#processPool();
    const scheduler = new Scheduler({
      store: this.#store, dags: this.#d.bag.dags, executor, logger: this.#log, home: this.#d.home,
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      ...this.#timing(),
    });
    const job = new SchedulerJob(this.#store, this.#d.clock, this.#log, scheduler.id, executor.kind, this.#d.schedulerHealthCheckS);
    try {
      job.register();
      scheduler.recover(this.#d.clock.now());
      if (o.once) {
        scheduler.tick(this.#d.clock.now());
        await executor.idle();
        scheduler.processEvents(this.#d.clock.now(), { queue: false });
      } else {
        this.#log.info({ pid: process.pid, parallelism: this.#d.parallelism }, 'scheduler started');
        await runLoop({ scheduler, clock: this.#d.clock, logger: this.#log, heartbeat: () => (lock?.heartbeat(), job.heartbeat()), ...(o.signal ? { signal: o.signal } : {}) });
        // Let attempts in flight finish (bounded), so their results are recorded rather than left as zombies.
        await Promise.race([executor.idle(), new Promise((r) => setTimeout(r, 10_000).unref())]);
        scheduler.processEvents(this.#d.clock.now(), { queue: false });
      }
      await scheduler.callbacksDone();
    } finally {
      job.remove();
      lock?.release();
      if (queue) await executor.close();
    }
  }
  schedulerAlive(): boolean {
    // With the job queue any number share the database, each with its row; otherwise one holds the lock.
    if (this.#d.executor === 'queue') return aliveJobs(this.#store, 'SchedulerJob', this.#d.clock.now(), this.#timing()).length > 0;
    const h = this.#store.lockHolder();
    return !!h && h.kind === 'scheduler' && holderAlive(h, this.#d.clock.now());
  }

  async waitForRun(dagId: string, runId: string, o: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal } = {}): Promise<DagRunRow> {
    const key = { dagId, runId };
    for (;;) {
      const run = this.getDagRun(dagId, runId);
      if (run.state === 'success' || run.state === 'failed' || o.signal?.aborted) return run;
      const lock = new SchedulerLock(this.#store, this.#d.clock, 'run driver (dagctl trigger --wait)' satisfies LockKind);
      // With the job queue, schedulers (however many) run it: only watch. Otherwise drive it when none is alive.
      const got = this.#d.executor === 'queue' ? { ok: false as const } : lock.tryAcquire();
      if (got.ok) {
        try {
          if (run.state === 'queued' && this.#store.getDag(dagId)?.is_paused) throw new DagPausedError(dagId);
          await driveRuns({ ...this.#driveBase(), executor: this.#processPool(), runs: [key], lock, ...(o.onEvent ? { onEvent: o.onEvent } : {}), ...(o.signal ? { signal: o.signal } : {}) });
        } finally {
          lock.release();
        }
        continue;
      }
      const how = await watchRun(this.#store, key, {
        clock: this.#d.clock,
        ownerGone: () => {
          if (this.#d.executor === 'queue') return false; // no single owner to lose
          const h = this.#store.lockHolder();
          return !h || !holderAlive(h, this.#d.clock.now());
        },
        ...(o.onEvent ? { onEvent: o.onEvent } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      if (how !== 'orphaned') return this.getDagRun(dagId, runId);
    }
  }

  /** `dags test`: one run in this process against a temporary database; nothing touches the main one. */
  async testDag(dagId: string, logicalDate?: Date, conf?: Json, o: { onEvent?: (e: RunEvent) => void } = {}) {
    const dag = this.getDag(dagId);
    return this.#withTempStore(async (store, home) => {
      const now = this.#d.clock.now();
      const date = logicalDate ?? now;
      const iv = manualDataInterval(dag.schedule, date);
      const run = createRun(store, dag, { runType: 'manual', logicalDate: date, dataIntervalStart: iv.start, dataIntervalEnd: iv.end, conf: conf ?? {}, state: 'running' }, now);
      const key = { dagId, runId: run.run_id };
      const executor = this.#inProcess(store);
      await driveRuns({ store, dags: this.#d.bag.dags, executor, logger: this.#log, clock: this.#d.clock, home, runs: [key], ...(o.onEvent ? { onEvent: o.onEvent } : {}) });
      await executor.idle();
      return { run: store.getDagRun(key)!, tasks: store.listTis(key) };
    });
  }

  /** `tasks test`: one attempt of one task, in this process, dependencies ignored, nothing recorded. */
  async testTask(dagId: string, taskId: string, logicalDate?: Date, params?: Json, mapIndex = -1) {
    const dag = this.getDag(dagId);
    if (!dag.task(taskId)) throw new TaskNotFoundError(dagId, taskId, dag.taskIds);
    const isMapped = dag.task(taskId)!.isMapped;
    if (isMapped !== mapIndex >= 0) throw new MapIndexNotFoundError(dagId, '(tasks test)', taskId, mapIndex, isMapped ? [] : [-1], isMapped);
    if (params !== undefined && !isJsonObject(params)) throw new InvalidConfError('params must be a JSON object');
    return this.#withTempStore(async (store, home) => {
      const now = this.#d.clock.now();
      const date = logicalDate ?? now;
      const iv = manualDataInterval(dag.schedule, date);
      const runId = runIdFor('manual', date);
      const logFile = taskLogPath(home, { dagId, runId, taskId, mapIndex, tryNumber: 1 });
      const ac = new AbortController();
      const task = dag.task(taskId)!;
      const timer = task.executionTimeout ? setTimeout(() => ac.abort(), task.executionTimeout * 1000) : undefined;
      const res = await runAttempt(
        {
          dagId, runId, taskId, mapIndex, tryNumber: 1, maxTries: 0, fileloc: dag.fileloc, logicalDate: date.toISOString(),
          dataIntervalStart: iv.start.toISOString(), dataIntervalEnd: iv.end.toISOString(), conf: params ?? {}, runType: 'manual',
          home, database: store.location, logFile, executionTimeout: task.executionTimeout,
        },
        dag,
        { signal: ac.signal, ...xcomReaders(store, { dagId, runId }) },
      );
      if (timer) clearTimeout(timer);
      const state: TaskState = res.outcome;
      return { state, returnValue: res.xcoms.findLast((x) => x.key === 'return_value')?.value, log: existsSync(logFile) ? readFileSync(logFile, 'utf8') : '' };
    });
  }

  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = undefined;
    this.#store.close();
  }

  #driveBase() {
    return { store: this.#store, dags: this.#d.bag.dags, logger: this.#log, clock: this.#d.clock, home: this.#d.home, ...this.#timing() };
  }
  #timing(): { zombieThresholdS?: number; heartbeatS?: number; schedulerHealthCheckS?: number } {
    const { zombieThresholdS, heartbeatS, schedulerHealthCheckS } = this.#d;
    return {
      ...(zombieThresholdS !== undefined ? { zombieThresholdS } : {}),
      ...(heartbeatS !== undefined ? { heartbeatS } : {}),
      ...(schedulerHealthCheckS !== undefined ? { schedulerHealthCheckS } : {}),
    };
  }
  /** The job queue (PostgreSQL): its schema is created or migrated first, so attempts can be enqueued. */
  async #queueExecutor(): Promise<Executor> {
    if (this.#store.dialect !== 'postgres') throw new QueueNeedsPostgresError();
    // Loaded here: graphile-worker and pg are for PostgreSQL deployments only.
    const [{ QueueExecutor }, { migrateQueue }] = await Promise.all([import('./executor/queue.js'), import('./executor/queue-worker.js')]);
    await migrateQueue(this.#store.location, this.#log);
    const dags = this.#d.bag.dags;
    return QueueExecutor.open({
      // Attempts queued per step: workers take them from the queue in batches, so a large step costs little.
      store: this.#store, url: this.#store.location, logger: this.#log, perStep: Math.max(256, this.#d.parallelism * 16),
      queueOf: (job) => dags.get(job.dagId)?.task(job.taskId)?.queue ?? 'default',
    });
  }
  /** One warm pool per engine, started on first use and kept until close(). */
  #processPool(): Executor {
    this.#pool ??= new ProcessPool({ parallelism: this.#d.parallelism, logger: this.#log, clock: this.#d.clock });
    return this.#pool;
  }
  #inProcess(store: Store): InProcessExecutor {
    return new InProcessExecutor({ parallelism: this.#d.parallelism, clock: this.#d.clock, store, getDag: (id) => this.#d.bag.dags.get(id) });
  }
  async #withTempStore<T>(fn: (store: Store, home: string) => Promise<T>): Promise<T> {
    const home = mkdtempSync(path.join(tmpdir(), 'dagctl-test-'));
    // Always a throwaway SQLite file, whatever database the engine uses.
    const store = openSqliteStore(dbFile(home), this.#d.clock.now().toISOString());
    try {
      syncBag(store, this.#d.bag, this.#d.clock.now());
      return await fn(store, home);
    } finally {
      store.close();
      rmSync(home, { recursive: true, force: true });
    }
  }
}
