/**
 * A worker process: receives attempts over IPC (a few at a time), runs them one after another (giving back
 * those not started yet when the pool asks), imports each DAG file once (cached per worker), and owns each
 * attempt it runs: it records the start, the heartbeats and the end in the store itself (own-attempt.ts),
 * then tells the pool, which only reacts. So the scheduler's death costs nothing: the worker finishes its
 * current attempt, records it, and exits (the attempts still waiting in it stay `queued`; the next scheduler
 * resets them). It runs in its own process group, so that killing the group takes the attempt's subprocesses
 * too.
 */
import { hostname } from 'node:os';
import { format } from 'node:util';
import type { Logger } from 'pino';
import { systemClock } from '../clock.js';
import { importDagFile } from '../dagbag.js';
import { coerceError, DagNotFoundError, TaskTimeoutError, WorkerStoppingError } from '../errors.js';
import type { Json } from '../json.js';
import { openStoreAt } from '../store/open.js';
import type { AttemptEnd, EndedAttempt, Store } from '../store/store.js';
import { runAttempt, xcomReaders } from './attempt.js';
import { ownAttempt, recordEnds } from './own-attempt.js';
import type { AttemptReport, FromWorker, ToWorker } from './protocol.js';
import { jobKey, type AttemptJob, type AttemptResult } from './types.js';

const me = { pid: process.pid, hostname: hostname() };
/** The scheduler that started this worker is gone: run nothing new, finish the current attempt, exit. */
let orphaned = false;
/** Asked to stop (SIGTERM from the pool's close): the current attempt is aborted and recorded as failed. */
let stopping = false;

// Once the parent is gone its pipes are broken; a write must not crash the attempt that is finishing.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

const send = (m: FromWorker, then?: () => void): void => {
  if (!process.connected) return then?.();
  process.send?.(m, undefined, {}, () => then?.());
};
/**
 * Reports are sent once the current event-loop turn is over: attempts that end in the same turn (no-op
 * tasks waiting in this worker) share one IPC write; an attempt that awaits anything lets them go first.
 */
let reports: AttemptReport[] = [];
function flushReports(then?: () => void): void {
  if (reports.length === 0) return then?.();
  const batch = reports;
  reports = [];
  send({ type: 'reports', reports: batch }, then);
}
let flushing = false;
/** At the end of this turn: commit the ends not committed yet, then send every report. */
function flushSoon(): void {
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    commitEnds();
    flushReports();
  });
}
function report(r: AttemptReport): void {
  reports.push(r);
  flushSoon();
}

const stores = new Map<string, Store>();
function storeFor(location: string): Store {
  let s = stores.get(location);
  if (!s) {
    s = openStoreAt(location, new Date().toISOString());
    stores.set(location, s);
  }
  return s;
}

/** Attempts handed over and not started yet. */
const waiting: AttemptJob[] = [];
let pumping = false;
let current: { key: string; ac: AbortController; overdueS?: number; deadline?: NodeJS.Timeout } | undefined;
let attemptLogger: Logger | undefined;

// What task code prints with console.* goes to the attempt's log (as Airflow captures stdout), not to the scheduler's terminal.
for (const [method, level] of [['log', 'info'], ['info', 'info'], ['warn', 'warn'], ['error', 'error'], ['debug', 'debug']] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => (attemptLogger ? attemptLogger[level](format(...args)) : original(...args));
}

/** Kills this worker's whole process group (itself included): whatever its attempts started goes with it. */
function killGroup(): never {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    /* not a group leader (started by hand): exit alone */
  }
  process.exit(70);
}

async function execute(job: AttemptJob, signal: AbortSignal): Promise<AttemptResult> {
  try {
    const dag = (await importDagFile(job.fileloc)).find((d) => d.dagId === job.dagId);
    if (!dag) throw new DagNotFoundError(job.dagId);
    const store = storeFor(job.database);
    return await runAttempt(job, dag, {
      signal,
      ...xcomReaders(store, job),
      onLogger: (l) => (attemptLogger = l),
    });
  } catch (e) {
    const err = coerceError(e);
    return { outcome: 'failed', xcoms: [], skip: [], error: { message: `could not load ${job.fileloc}: ${err.message}`, ...(err.stack ? { stack: err.stack } : {}), nonRetryable: false } };
  }
}

/**
 * Ends not committed yet, with their store. An attempt's end is committed with the next attempt's start (on
 * SQLite in one write transaction instead of two) when that one starts in the same event-loop turn, else at the
 * end of the turn: IPC input that arrived meanwhile (new attempts) is read first, so a busy worker writes once
 * per attempt, and a chain's hand-off waits for nothing.
 */
const pending = new Map<Store, AttemptEnd[]>();
/**
 * Ends recorded with a start whose schedulers have not been told yet (PostgreSQL): they hear of all of a turn's
 * ends in one notification, not one each (every NOTIFY wakes every listening backend, each worker's job-queue
 * connection included). A worker killed before telling them loses only the wake-up: the ends are in the store,
 * and a scheduler's next tick reads them.
 */
const unannounced = new Map<Store, EndedAttempt[]>();
/** Records the store's pending ends with the next start (in its transaction, on SQLite); returns what to do once they are committed. */
function endsWithStart(store: Store): (() => void) | undefined {
  const ends = pending.get(store);
  if (!ends) return undefined;
  const recorded = recordEnds(store, ends, new Date().toISOString(), { announce: false });
  return () => {
    if (pending.get(store) === ends) pending.delete(store);
    const told = unannounced.get(store) ?? [];
    for (const { end, state, skip } of recorded) if (state !== undefined) told.push({ key: end.key, tryNumber: end.tryNumber, state, skip });
    unannounced.set(store, told);
    reportEnds(recorded);
  };
}
/**
 * Tells schedulers of the ends recorded with starts, then records the pending ends on their own (each notifies in
 * its own statement). A failure to record (a database busy past its timeout) keeps them for a retry.
 */
function commitEnds(): void {
  for (const [store, ends] of unannounced) {
    unannounced.delete(store);
    try {
      store.announceEnds(ends);
    } catch (e) {
      process.stderr.write(`worker ${process.pid}: could not tell schedulers of ${ends.length} recorded attempt end(s) (their next tick finds them): ${coerceError(e).message}\n`);
    }
  }
  for (const [store, ends] of pending) {
    try {
      const recorded = recordEnds(store, ends, new Date().toISOString());
      pending.delete(store);
      reportEnds(recorded);
    } catch (e) {
      process.stderr.write(`worker ${process.pid}: could not record ${ends.length} attempt end(s), retrying: ${coerceError(e).message}\n`);
      setTimeout(flushSoon, 200);
    }
  }
}
function reportEnds(recorded: ReturnType<typeof recordEnds>): void {
  for (const { end, state, skip } of recorded) report({ key: jobKey(end.key), kind: 'ended', skip, ...(state !== undefined ? { state } : {}) });
}

async function run(job: AttemptJob): Promise<void> {
  const key = jobKey(job);
  const ac = new AbortController();
  const store = storeFor(job.database);
  current = { key, ac };
  const owned = await ownAttempt(
    job,
    {
      store,
      clock: systemClock,
      pid: me.pid,
      hostname: me.hostname,
      controller: ac,
      withStart: () => endsWithStart(store),
      onStarted: () => {
        report({ key, kind: 'begun', at: Date.now() });
        if (job.executionTimeout === undefined) return;
        flushReports(); // its clock (the pool's timer) starts now
        const c = current!;
        c.deadline = setTimeout(() => {
          c.overdueS = job.executionTimeout; // past its executionTimeout
          if (orphaned) timeOut();
        }, job.executionTimeout * 1000);
      },
    },
    (signal) => execute(job, signal),
  );
  clearTimeout(current?.deadline);
  current = undefined;
  attemptLogger = undefined;
  if (owned.kind === 'refused') return report({ key, kind: 'refused' });
  if (owned.kind === 'ran') {
    pending.set(store, [...(pending.get(store) ?? []), owned.end]);
    if (orphaned || stopping) commitEnds();
    else flushSoon();
    return;
  }
  // Ended from outside: whatever the attempt started (a shell's children) dies with this worker's group; the
  // pool reports the attempt once the worker is gone, so its end is recorded only after nothing of it runs.
  waiting.length = 0; // still `queued`; the pool hands them to another worker
  commitEnds(); // those recorded with this attempt's start are announced
  reports.push({ key, kind: 'terminated', state: owned.state });
  flushReports(killGroup);
}

/**
 * executionTimeout after the scheduler is gone: while the pool lives its timer does it (and replaces a worker
 * whose attempt ignored the abort); an orphaned worker aborts the attempt itself, and kills its group if the
 * attempt ignores that too.
 */
function timeOut(): void {
  const c = current;
  if (c?.overdueS === undefined) return;
  c.ac.abort(new TaskTimeoutError(c.overdueS));
  setTimeout(() => current === c && killGroup(), 2000).unref();
}

async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  while (waiting.length > 0 && !orphaned && !stopping) await run(waiting.shift()!);
  pumping = false;
  commitEnds();
  // An orphan takes down what its attempts may have left behind (a shell's background children): nobody else will.
  if (orphaned) killGroup();
  if (stopping) flushReports(() => process.exit(0));
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'run') {
    waiting.push(...m.jobs);
    void pump();
  } else if (m.type === 'return') {
    // Those not started yet go back (an idle worker takes them); the answer goes at once, with what came before it.
    const back = waiting.filter((j) => m.keys.includes(jobKey(j)));
    waiting.splice(0, waiting.length, ...waiting.filter((j) => !back.includes(j)));
    reports.push({ kind: 'returned', keys: back.map(jobKey) });
    flushReports();
  } else if (m.type === 'abort' && current?.key === m.key) {
    // The pool replaces this worker once the attempt reports: start nothing more (the rest stay `queued`).
    waiting.length = 0;
    current.ac.abort(new TaskTimeoutError(m.timeoutS));
  }
});
process.on('disconnect', () => {
  orphaned = true;
  waiting.length = 0;
  timeOut(); // if the current attempt is already past its executionTimeout
  if (!current) {
    commitEnds();
    killGroup();
  }
});
process.on('SIGTERM', () => {
  stopping = true;
  waiting.length = 0;
  if (current) current.ac.abort(new WorkerStoppingError('SIGTERM'));
  else {
    commitEnds();
    flushReports(() => process.exit(0));
  }
});
process.on('uncaughtException', (e) => {
  process.stderr.write(`uncaught exception in worker ${process.pid} on ${me.hostname}: ${coerceError(e).stack ?? String(e)}\n`);
  process.exit(70);
});
send({ type: 'ready' });
