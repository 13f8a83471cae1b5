/**
 * `npm run bench:engine [-- --json]`: end-to-end engine figures with real worker processes.
 *   1. a chain of 40 no-op tasks, trigger to run end (Airflow 2.7 ≈ 116 s, Prefect 2 ≈ 4.9 s; target < 0.4 s)
 *   2. task-to-task handoff (next start - previous end) over a chain of 1,000: p50 / p99 (target p99 < 20 ms)
 *   3. one run fanning out to 10,000 tasks, parallelism 4: total time and task instances/s (target >= 2,000/s)
 *   4. CPU used by an idle scheduler (process.cpuUsage over a few seconds)
 *   5. peak RSS of this process (the scheduler side; workers are separate processes)
 * Each run is driven by `waitForRun` in this process, as `dagctl trigger --wait` does with no scheduler alive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { pino } from 'pino';
import { openEngine, type Engine, type TaskInstanceRow } from '../src/engine/service.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const asJson = process.argv.includes('--json');
const PARALLELISM = 4;
const IDLE_SECONDS = 3;

interface Figure {
  name: string;
  value: number;
  unit: string;
  detail: string;
  reference?: string;
}

const ms = (iso: string | null): number => (iso === null ? Number.NaN : Date.parse(iso));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** Triggers a run and follows it to the end; returns the wall time and its task instances. */
async function timedRun(engine: Engine, dagId: string): Promise<{ seconds: number; tis: TaskInstanceRow[]; state: string }> {
  const t0 = performance.now();
  const run = engine.triggerDagRun(dagId);
  const done = await engine.waitForRun(dagId, run.dag_run_id);
  const seconds = (performance.now() - t0) / 1000;
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

async function main(): Promise<void> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'dagctl-bench-'));
  const logger = pino({ level: 'warn' });
  const figures: Figure[] = [];
  const t0 = performance.now();
  const engine = await openEngine({ home, dagsFolders: [path.join(here, 'dags')], parallelism: PARALLELISM, logger });
  const openSeconds = (performance.now() - t0) / 1000;
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
    figures.push({ name: 'handoff p99 (chain of 1,000)', value: percentile(gaps, 99), unit: 'ms', detail: 'next start - previous end', reference: 'target < 20 ms' });

    const fan = await timedRun(engine, 'bench_fanout_10000');
    figures.push({ name: 'fan-out to 10,000 tasks: total', value: fan.seconds, unit: 's', detail: `${fan.tis.length} task instances, parallelism ${PARALLELISM}` });
    figures.push({ name: 'fan-out to 10,000 tasks: throughput', value: fan.tis.length / fan.seconds, unit: 'TI/s', detail: 'task instances / wall time', reference: 'target >= 2,000 TI/s' });

    const idle = await idleCpu(engine);
    figures.push({ name: 'idle scheduler CPU', value: idle.percent, unit: '%', detail: `${idle.ms.toFixed(1)} ms CPU in ${IDLE_SECONDS} s` });
  } finally {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
  figures.push({ name: 'peak RSS (scheduler process)', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB', detail: `engine open + DAG bag load ${openSeconds.toFixed(2)} s` });

  if (asJson) {
    console.log(JSON.stringify({ node: process.version, cpus: os.cpus().length, figures }, null, 2));
    return;
  }
  const table = new Table({ head: ['measure', 'value', 'detail', 'reference'], style: { head: [], border: [] } });
  for (const f of figures) table.push([f.name, `${f.value.toFixed(f.unit === 'TI/s' ? 0 : f.unit === 's' ? 3 : 1)} ${f.unit}`, f.detail, f.reference ?? '']);
  console.log(`dagctl engine benchmark — node ${process.version}, ${os.cpus().length} CPUs, parallelism ${PARALLELISM}`);
  console.log(table.toString());
}

await main();
