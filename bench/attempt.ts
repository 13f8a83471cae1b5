/**
 * `npm run bench:attempt [-- --attempts 5000] [-- --rounds 3]`: what one worker spends per no-op attempt when nobody
 * else writes: the attempt loop of worker.ts (ownAttempt records the start, with the previous attempt's end in the
 * same transaction, then runAttempt) over a real SQLite store, queued as a scheduler would. Wall and CPU time per
 * attempt, each round on a fresh store; `bench:engine` gives the end-to-end figures with contention.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { systemClock } from '../src/engine/clock.js';
import { importDagFile } from '../src/engine/dagbag.js';
import { runAttempt, xcomReaders } from '../src/engine/executor/attempt.js';
import { ownAttempt, recordEnds } from '../src/engine/executor/own-attempt.js';
import type { AttemptJob } from '../src/engine/executor/types.js';
import { openSqliteStore } from '../src/engine/store/sqlite.js';
import type { AttemptEnd } from '../src/engine/store/store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const attempts = arg('--attempts', 5000);
const rounds = arg('--rounds', 3);

const fileloc = path.join(here, 'dags', 'bench_fanout.ts');
const dag = (await importDagFile(fileloc)).find((d) => d.dagId === 'bench_fanout_10000')!;

interface Round {
  wallUs: number;
  cpuUs: number;
  sysUs: number;
}

async function round(): Promise<Round> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'dagctl-bench-attempt-'));
  const database = path.join(home, 'dagctl.sqlite');
  const now = (): string => new Date().toISOString();
  const store = openSqliteStore(database, now());
  try {
    store.syncDags([{ dag_id: dag.dagId, fileloc, owners: [], schedule_interval: null, tags: [], description: null, max_active_runs: 1, max_active_tasks: attempts, is_paused_upon_creation: false }], now());
    const tis = dag.taskIds.slice(1, attempts + 1).map((taskId) => ({ task_id: taskId, operator: 'FunctionOperator', pool: 'default_pool', pool_slots: 1, priority_weight: 1, max_tries: 0 }));
    const run = { dagId: dag.dagId, runId: 'bench' };
    const queuedAt = now();
    store.createDagRun({ dag_id: run.dagId, run_id: run.runId, run_type: 'manual', logical_date: queuedAt, data_interval_start: null, data_interval_end: null, external_trigger: true, conf: {}, state: 'running' }, tis, queuedAt);
    store.applyDecisions(run, tis.map((t) => ({ taskId: t.task_id, from: null, to: 'scheduled' as const })), queuedAt);
    store.queueTis(tis.map((t) => ({ dagId: run.dagId, runId: run.runId, taskId: t.task_id, mapIndex: -1 })), queuedAt, 'bench');
    let pending: AttemptEnd[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const t of tis) {
      const job: AttemptJob = {
        dagId: run.dagId, runId: run.runId, taskId: t.task_id, mapIndex: -1, tryNumber: 1, maxTries: 0, fileloc, logicalDate: queuedAt,
        dataIntervalStart: queuedAt, dataIntervalEnd: queuedAt, conf: {}, runType: 'manual', home, database,
        logFile: path.join(home, 'logs', t.task_id, 'attempt=1.log'), executionTimeout: undefined, queuedBy: 'bench', queuedAt,
        retryPolicy: { retries: 0, retryDelay: 300, retryExponentialBackoff: false, maxRetryDelay: undefined }, heartbeatS: 5,
      };
      const owned = await ownAttempt(
        job,
        {
          store, clock: systemClock, pid: process.pid, hostname: os.hostname(), controller: new AbortController(),
          // As worker.ts: the previous attempt's end shares the next one's start transaction.
          withStart: () => {
            if (pending.length === 0) return undefined;
            recordEnds(store, pending, now());
            pending = [];
            return undefined;
          },
        },
        (signal) => runAttempt(job, dag, { signal, ...xcomReaders(store, job) }),
      );
      if (owned.kind !== 'ran') throw new Error(`attempt ${t.task_id} was ${owned.kind}`);
      pending.push(owned.end);
    }
    recordEnds(store, pending, now());
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { wallUs: (wall * 1000) / attempts, cpuUs: (cpu.user + cpu.system) / attempts, sysUs: cpu.system / attempts };
  } finally {
    store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const results: Round[] = [];
for (let i = 0; i < rounds; i++) results.push(await round());
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const table = new Table({ head: ['per no-op attempt, one worker, no contention', `median of ${rounds}`, 'rounds'], style: { head: [], border: [] } });
const measures: Array<[string, (r: Round) => number]> = [['wall', (r) => r.wallUs], ['CPU', (r) => r.cpuUs], ['of which system', (r) => r.sysUs]];
for (const [name, pick] of measures) {
  table.push([name, `${median(results.map(pick)).toFixed(0)} µs`, results.map((r) => pick(r).toFixed(0)).join(', ')]);
}
console.log(`dagctl attempt benchmark — node ${process.version}, ${attempts} attempts per round, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(table.toString());
