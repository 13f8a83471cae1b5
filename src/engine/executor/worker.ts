/**
 * A worker process: receives attempts over IPC (a few at a time), runs them one after another, imports each
 * DAG file once (cached per worker), and reports each attempt as it ends. It exits as soon as its parent
 * goes away, so an attempt never outlives the scheduler that owns it.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { format } from 'node:util';
import type { Logger } from 'pino';
import { importDagFile } from '../dagbag.js';
import { coerceError, DagNotFoundError, TaskTimeoutError } from '../errors.js';
import type { Json } from '../json.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { runAttempt } from './attempt.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { jobKey, type AttemptJob, type AttemptResult } from './types.js';

const send = (m: FromWorker): void => {
  process.send?.(m);
};
/**
 * Results are sent once the current event-loop turn is over: attempts that end in the same turn (no-op
 * tasks waiting in this worker) share one IPC write; an attempt that awaits anything lets them go first.
 */
let results: Array<{ result: AttemptResult; waitedMs: number }> = [];
function flushResults(): void {
  if (results.length === 0) return;
  const batch = results;
  results = [];
  send({ type: 'finished', results: batch });
}
function report(r: { result: AttemptResult; waitedMs: number }): void {
  if (results.push(r) === 1) setImmediate(flushResults);
}
const stores = new Map<string, Store>();
/** Attempts handed over and not started yet, with when they arrived (performance.now()). */
const waiting: Array<{ job: AttemptJob; arrived: number }> = [];
let pumping = false;
let current: { key: string; ac: AbortController } | undefined;
let attemptLogger: Logger | undefined;

// What task code prints with console.* goes to the attempt's log (as Airflow captures stdout), not to the scheduler's terminal.
for (const [method, level] of [['log', 'info'], ['info', 'info'], ['warn', 'warn'], ['error', 'error'], ['debug', 'debug']] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => (attemptLogger ? attemptLogger[level](format(...args)) : original(...args));
}

function readXcom(job: AttemptJob, taskId: string, key: string): Json | undefined {
  let s = stores.get(job.dbFile);
  if (!s) {
    s = openSqliteStore(job.dbFile, new Date().toISOString(), { readonly: true });
    stores.set(job.dbFile, s);
  }
  return s.getXcom({ dagId: job.dagId, runId: job.runId, taskId }, key);
}

async function run(job: AttemptJob, arrived: number): Promise<void> {
  const ac = new AbortController();
  current = { key: jobKey(job), ac };
  let result: AttemptResult;
  let t0 = performance.now();
  try {
    const dag = (await importDagFile(job.fileloc)).find((d) => d.dagId === job.dagId);
    if (!dag) throw new DagNotFoundError(job.dagId);
    // The attempt starts now (its executionTimeout counts from here, not from when it was handed over).
    t0 = performance.now();
    if (job.executionTimeout !== undefined) {
      flushResults(); // in order: the pool reads `begun` as the oldest attempt it has no result for
      send({ type: 'begun' });
    }
    result = await runAttempt(job, dag, { signal: ac.signal, readXcom: (t, k) => readXcom(job, t, k), onLogger: (l) => (attemptLogger = l) });
  } catch (e) {
    const err = coerceError(e);
    result = { outcome: 'failed', xcoms: [], skip: [], error: { message: `could not load ${job.fileloc}: ${err.message}`, ...(err.stack ? { stack: err.stack } : {}), nonRetryable: false } };
  }
  current = undefined;
  report({ result, waitedMs: t0 - arrived });
}

async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  while (waiting.length > 0) {
    const w = waiting.shift()!;
    await run(w.job, w.arrived);
  }
  pumping = false;
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'run') {
    const arrived = performance.now();
    for (const job of m.jobs) waiting.push({ job, arrived });
    void pump();
  } else if (m.type === 'abort' && current?.key === m.key) {
    current.ac.abort(m.reason === 'timeout' ? new TaskTimeoutError(m.timeoutS ?? 0) : new Error('attempt cancelled'));
  }
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (e) => {
  process.stderr.write(`uncaught exception in worker ${process.pid} on ${hostname()}: ${coerceError(e).stack ?? String(e)}\n`);
  process.exit(70);
});
send({ type: 'ready' });
