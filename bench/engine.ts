/**
 * `npm run bench:engine [-- --json] [-- --db postgres --workers 1,3] [-- --fanouts 3]`: end-to-end engine figures with real worker processes.
 *   1. a chain of 40 no-op tasks, trigger to run end (Airflow 2.7 ≈ 116 s, Prefect 2 ≈ 4.9 s; target < 0.4 s)
 *   2. task-to-task handoff (next start - previous end) over a chain of 1,000: p50 / p99 (target p99 < 20 ms)
 *   3. one run fanning out to 10,000 tasks, parallelism 4: total time and task instances/s (target >= 2,000/s), the
 *      median of `--fanouts N` runs (3; each one printed: the host's speed drifts within minutes)
 *   4. CPU used by an idle scheduler (process.cpuUsage over a few seconds)
 *   5. peak RSS of this process (the scheduler side; workers are separate processes)
 *   6. CPU per task instance over the fan-out, every process on the machine (on PostgreSQL, and the server's share)
 * Each run is driven by `waitForRun` in this process, as `dagctl trigger --wait` does with no scheduler alive.
 * With `--db postgres`, the same measures again on PostgreSQL with the job queue (DAGCTL_EXECUTOR=queue): one
 * scheduler in this process and N `dagctl worker` processes per `--workers` entry (with 4 worker processes in
 * all, as the SQLite column, at least one each: --concurrency floor(4 / N)),
 * printed side by side with SQLite. The server is DAGCTL_DATABASE_URL's (a fresh database per column), or a
 * throwaway local cluster when that is unset. Targets on PostgreSQL: >= 1,000 TI/s with 3 workers, handoff p99 < 50 ms.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import Table from 'cli-table3';
import { pino } from 'pino';
import { openEngine, type Engine, type TaskInstanceRow } from '../src/engine/service.js';
import { createDatabase, postgresBinDir, startCluster, type Cluster } from '../test/fixtures/postgres/cluster.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const asJson = process.argv.includes('--json');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const onPostgres = arg('--db') === 'postgres';
const workerCounts = (arg('--workers') ?? '1,3').split(',').map(Number).filter((n) => n > 0);
const PARALLELISM = 4;
const IDLE_SECONDS = 3;
const FANOUTS = Number(arg('--fanouts') ?? 3);
if (!Number.isInteger(FANOUTS) || FANOUTS < 1) throw new Error(`--fanouts takes a whole number of runs (1 or more), not '${arg('--fanouts')}'`);

interface Figure {
  name: string;
  value: number;
  unit: string;
  detail: string;
  reference?: string;
  /** Printed instead of the value (a list of figures). */
  shown?: string;
}

const ms = (iso: string | null): number => (iso === null ? Number.NaN : Date.parse(iso));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/**
 * Triggers a run and follows it to the end; returns the time from the trigger to the run's recorded end, and its
 * task instances. The recorded end, not when waitForRun returns: watching a run the queue executor's scheduler
 * drives reads the store every 100 ms, which would round the PostgreSQL figures up to that.
 */
async function timedRun(engine: Engine, dagId: string): Promise<{ seconds: number; tis: TaskInstanceRow[]; state: string }> {
  const t0 = Date.now();
  const run = engine.triggerDagRun(dagId);
  const done = await engine.waitForRun(dagId, run.dag_run_id);
  const seconds = (ms(done.end_date) - t0) / 1000;
  if (done.state !== 'success') throw new Error(`${dagId}: run ended ${done.state}`);
  return { seconds, tis: engine.taskInstances(dagId, run.dag_run_id), state: done.state };
}

/** Handoffs in a chain: start of task i minus end of task i-1 (ms), sorted. */
function handoffs(tis: readonly TaskInstanceRow[]): number[] {
  const ordered = [...tis].sort((a, b) => a.task_id.localeCompare(b.task_id));
  const gaps: number[] = [];
  for (let i = 1; i < ordered.length; i++) gaps.push(ms(ordered[i]!.start_date) - ms(ordered[i - 1]!.end_date));
  return gaps.sort((a, b) => a - b);
}

async function idleCpu(engine: Engine): Promise<{ percent: number; ms: number }> {
  const controller = new AbortController();
  const running = engine.runScheduler({ signal: controller.signal });
  await new Promise((r) => setTimeout(r, 1000)); // let it start and settle
  const before = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const used = process.cpuUsage(before);
  const wall = performance.now() - t0;
  // Guard against measuring nothing: the scheduler must hold the lock for the whole window.
  if (!engine.schedulerAlive()) throw new Error('the scheduler was not running during the idle measurement');
  controller.abort();
  await running;
  const cpuMs = (used.user + used.system) / 1000;
  return { percent: (cpuMs / wall) * 100, ms: cpuMs };
}

interface Column {
  label: string;
  /** Where the engine stores its state; undefined: SQLite in the home folder. */
  databaseUrl?: string;
  workers?: number;
}

/** Worker processes per `dagctl worker`: PARALLELISM in all, as the SQLite column has (at least one each). */
const workerConcurrency = (workers: number): number => Math.max(1, Math.floor(PARALLELISM / workers));

/** Starts `dagctl worker` processes against the column's database (the queue executor's workers). */
function startWorkers(c: Column, home: string): ChildProcess[] {
  return Array.from({ length: c.workers ?? 0 }, () =>
    spawn(process.execPath, [path.join(here, '..', 'bin', 'dagctl.js'), 'worker', '-q', '--concurrency', String(workerConcurrency(c.workers ?? 1))], {
      env: { ...process.env, DAGCTL_HOME: home, DAGCTL_DATABASE_URL: c.databaseUrl, DAGCTL_DAGS_FOLDER: path.join(here, 'dags'), DAGCTL_LOAD_EXAMPLES: 'false' },
      stdio: 'ignore',
    }),
  );
}

async function measure(c: Column): Promise<Figure[]> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'dagctl-bench-'));
  const logger = pino({ level: 'warn' });
  const figures: Figure[] = [];
  const before = process.env.DAGCTL_DATABASE_URL;
  if (c.databaseUrl) process.env.DAGCTL_DATABASE_URL = c.databaseUrl;
  else delete process.env.DAGCTL_DATABASE_URL;
  const t0 = performance.now();
  const engine = await openEngine({ home, dagsFolders: [path.join(here, 'dags')], parallelism: PARALLELISM, logger, ...(c.databaseUrl ? { executor: 'queue' as const } : {}) });
  const openSeconds = (performance.now() - t0) / 1000;
  const workers = startWorkers(c, home);
  const stopScheduler = new AbortController();
  const scheduler = c.databaseUrl ? engine.runScheduler({ signal: stopScheduler.signal }) : undefined;
  try {
    // Warm-up: the first run pays for starting worker processes and importing the DAG files there.
    const warm = await timedRun(engine, 'bench_chain_40');
    figures.push({ name: 'chain of 40 no-op tasks (cold)', value: warm.seconds, unit: 's', detail: 'includes worker start-up' });
    const c40 = await timedRun(engine, 'bench_chain_40');
    figures.push({
      name: 'chain of 40 no-op tasks',
      value: c40.seconds,
      unit: 's',
      detail: `${((c40.seconds / 40) * 1000).toFixed(1)} ms/task, trigger to run end`,
      reference: 'Airflow 2.7 ≈ 116 s, Prefect 2 ≈ 4.9 s; target < 0.4 s',
    });

    const c1000 = await timedRun(engine, 'bench_chain_1000');
    const gaps = handoffs(c1000.tis);
    figures.push({ name: 'handoff p50 (chain of 1,000)', value: percentile(gaps, 50), unit: 'ms', detail: `max ${gaps.at(-1)} ms; run ${c1000.seconds.toFixed(2)} s` });
    figures.push({ name: 'handoff p99 (chain of 1,000)', value: percentile(gaps, 99), unit: 'ms', detail: 'next start - previous end', reference: 'target < 20 ms (PostgreSQL < 50 ms)' });

    // The host's speed drifts by tens of percent within minutes: the median of a few fan-outs, with each one shown.
    const fans: Array<{ seconds: number; tis: number; cpu?: { all: number; postgres: number } }> = [];
    for (let i = 0; i < FANOUTS; i++) {
      const cpu0 = busyCpuMs();
      const fan = await timedRun(engine, 'bench_fanout_10000');
      fans.push({ seconds: fan.seconds, tis: fan.tis.length, cpu: busyCpuMs(cpu0) });
    }
    const mid = [...fans].sort((a, b) => b.tis / b.seconds - a.tis / a.seconds)[Math.floor(fans.length / 2)]!;
    const each = fans.map((x) => (x.tis / x.seconds).toFixed(0)).join(' · ');
    figures.push({ name: 'fan-out to 10,000 tasks: total', value: mid.seconds, unit: 's', detail: `${mid.tis} task instances, parallelism ${PARALLELISM}` });
    figures.push({
      name: `fan-out to 10,000 tasks: throughput${FANOUTS > 1 ? `, median of ${FANOUTS}` : ''}`,
      value: mid.tis / mid.seconds,
      unit: 'TI/s',
      detail: `task instances / wall time; each run: ${each}`,
      reference: 'target >= 2,000 TI/s (PostgreSQL, 3 workers: >= 1,000)',
    });
    if (FANOUTS > 1) figures.push({ name: '  each run', value: Number.NaN, unit: '', shown: each, detail: 'TI/s, in order' });
    if (mid.cpu) {
      figures.push({ name: 'fan-out: CPU per task instance', value: mid.cpu.all / mid.tis, unit: 'ms/TI', detail: 'every process on this machine (/proc), over the median fan-out' });
      if (c.databaseUrl) figures.push({ name: '  of which PostgreSQL server', value: mid.cpu.postgres / mid.tis, unit: 'ms/TI', detail: 'processes named postgres' });
    }

    if (!c.databaseUrl) {
      const idle = await idleCpu(engine);
      figures.push({ name: 'idle scheduler CPU', value: idle.percent, unit: '%', detail: `${idle.ms.toFixed(1)} ms CPU in ${IDLE_SECONDS} s` });
    }
  } finally {
    stopScheduler.abort();
    await scheduler;
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
    await engine.close();
    rmSync(home, { recursive: true, force: true });
    if (before === undefined) delete process.env.DAGCTL_DATABASE_URL;
    else process.env.DAGCTL_DATABASE_URL = before;
  }
  figures.push({ name: 'peak RSS (scheduler process)', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB', detail: `engine open + DAG bag load ${openSeconds.toFixed(2)} s` });
  return figures;
}

/**
 * CPU time used since `since` (ms, from /proc): by every process on the machine (what the CPUs were busy with),
 * and by PostgreSQL's server processes. Undefined off Linux.
 */
function busyCpuMs(since?: { all: number; postgres: number }): { all: number; postgres: number } | undefined {
  try {
    const [user, nice, system, , , irq, softirq] = cpuCounters();
    let postgres = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        postgres += Number(f[11]) + Number(f[12]); // utime + stime of the process
      } catch {
        /* gone meanwhile */
      }
    }
    // Clock ticks are 10 ms on Linux (USER_HZ 100). Exited server processes drop out of the sum: the bench's
    // connections live for the whole column.
    const now = { all: (user! + nice! + system! + irq! + softirq!) * 10, postgres: postgres * 10 };
    return since ? { all: now.all - since.all, postgres: now.postgres - since.postgres } : now;
  } catch {
    return undefined;
  }
}

/** The machine's CPU counters from /proc/stat, in clock ticks: user, nice, system, idle, iowait, irq, softirq, steal. Throws off Linux. */
function cpuCounters(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
}

/** Steal and total CPU ticks, or undefined off Linux. */
function cpuTimes(): { steal: number; total: number } | undefined {
  try {
    const f = cpuCounters();
    return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/** Percent of CPU time the hypervisor took from this machine since `before` (a shared host's noise: figures drop by about that much). */
function stealSince(before: ReturnType<typeof cpuTimes>): number | undefined {
  const now = cpuTimes();
  if (!before || !now || now.total === before.total) return undefined;
  return (100 * (now.steal - before.steal)) / (now.total - before.total);
}

async function main(): Promise<void> {
  const cpu0 = cpuTimes();
  const columns: Column[] = [{ label: 'SQLite, local workers' }];
  let cluster: Cluster | undefined;
  if (onPostgres) {
    let server = process.env.DAGCTL_DATABASE_URL;
    if (!server) {
      const bin = postgresBinDir();
      if (!bin) throw new Error('--db postgres: set DAGCTL_DATABASE_URL, or install PostgreSQL (./scripts/setup.sh --test) for a throwaway cluster');
      cluster = await startCluster(bin);
      server = cluster.url;
    }
    for (const n of workerCounts) columns.push({ label: `PostgreSQL, ${n} worker${n > 1 ? 's' : ''}`, databaseUrl: createDatabase(server, `dagctl_bench_w${n}`), workers: n });
  }
  const results: Figure[][] = [];
  try {
    for (const c of columns) results.push(await measure(c));
  } finally {
    cluster?.stop();
  }
  const steal = stealSince(cpu0);
  if (asJson) {
    console.log(JSON.stringify({ node: process.version, cpus: os.cpus().length, load: os.loadavg(), cpuStealPercent: steal, columns: columns.map((c, i) => ({ label: c.label, figures: results[i] })) }, null, 2));
    return;
  }
  const fmt = (f: Figure | undefined): string => (f?.shown ?? (f ? `${f.value.toFixed(f.unit === 'TI/s' ? 0 : f.unit === 's' ? 3 : f.unit === 'ms/TI' ? 2 : 1)} ${f.unit}` : ''));
  const table = new Table({ head: ['measure', ...columns.map((c) => c.label), 'reference'], style: { head: [], border: [] } });
  // Every measure once, a column's own ones after the measure they follow there.
  const rows: Figure[] = [];
  for (const r of results) {
    r.forEach((f, i) => {
      if (rows.some((x) => x.name === f.name)) return;
      const after = i > 0 ? rows.findIndex((x) => x.name === r[i - 1]!.name) : -1;
      rows.splice(after + 1, 0, f);
    });
  }
  for (const f of rows) table.push([f.name, ...results.map((r) => fmt(r.find((x) => x.name === f.name))), f.reference ?? '']);
  console.log(
    `dagctl engine benchmark — node ${process.version}, ${os.cpus().length} CPUs, parallelism ${PARALLELISM}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}` +
      (steal !== undefined ? `, CPU steal ${steal.toFixed(1)} % (taken by the hypervisor during the run)` : ''),
  );
  console.log(table.toString());
}

await main();
