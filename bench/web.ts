/**
 * `npm run bench:web [-- --json]`: the web server's figures, over the real server on 127.0.0.1.
 *   1. the grid of a DAG with 100 runs x 20 tasks: server time to answer GET /dags/{id}/grid?num_runs=100
 *      (Fastify inject: routing, auth, reads, HTML), p50 / p99 (target < 200 ms)
 *   2. GET /api/v1/dags/{id}/dagRuns?limit=100 with 1,000 runs stored, over HTTP: p50 / p99 (target p99 < 20 ms)
 * The runs are created (and the grid's task instances marked) through the engine facade; nothing executes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { pino } from 'pino';
import { openRunAdmin } from '../src/engine/run-admin.js';
import { openEngine, systemClock } from '../src/engine/service.js';
import { openUserStore } from '../src/engine/users.js';
import { startWebServer } from '../src/web/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const asJson = process.argv.includes('--json');
const DAG_ID = 'bench_grid';
const RUNS = 1000;
const GRID_RUNS = 100;

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function timeMany(n: number, warmup: number, fn: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { p50: percentile(t, 50), p99: percentile(t, 99) };
}

const home = mkdtempSync(path.join(os.tmpdir(), 'dagctl-bench-web-'));
const logger = pino({ level: 'silent' });
const engine = await openEngine({ home, dagsFolders: [path.join(here, 'web-dags')], parallelism: 1, logger });
const users = openUserStore(home);
const runs = openRunAdmin(home);
try {
  await users.create({ username: 'bench', password: 'bench-password', role: 'Admin' });
  const tasks = engine.listTasks(DAG_ID).map((t) => t.task_id);
  const start = Date.parse('2024-01-01T00:00:00Z');
  const created: string[] = [];
  for (let i = 0; i < RUNS; i++) created.push(engine.triggerDagRun(DAG_ID, { logicalDate: new Date(start + i * 3_600_000) }).run_id);
  // The grid's 100 runs get a mix of finished states, so every cell has a colour.
  const STATES = ['success', 'success', 'success', 'failed', 'skipped'] as const;
  for (const [r, runId] of created.slice(-GRID_RUNS).entries()) {
    for (const [t, taskId] of tasks.entries()) engine.markTaskInstance(DAG_ID, runId, taskId, STATES[(r + t) % STATES.length]!);
  }
  const server = await startWebServer({ engine, logger, clock: systemClock, home, users, runs }, { host: '127.0.0.1', port: 0 });
  const auth = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;
  try {
    const grid = await timeMany(100, 10, async () => {
      const r = await server.app.inject({ method: 'GET', url: `/dags/${DAG_ID}/grid?num_runs=${GRID_RUNS}`, headers: { authorization: auth, accept: 'text/html' } });
      if (r.statusCode !== 200 || !r.body.includes('data-run=')) throw new Error(`grid answered ${r.statusCode}`);
    });
    const size = (await server.app.inject({ method: 'GET', url: `/dags/${DAG_ID}/grid?num_runs=${GRID_RUNS}`, headers: { authorization: auth } })).body.length;
    const api = await timeMany(500, 50, async () => {
      const r = await fetch(`${server.url}/api/v1/dags/${DAG_ID}/dagRuns?limit=100`, { headers: { authorization: auth } });
      const body = (await r.json()) as { dag_runs: unknown[]; total_entries: number };
      if (r.status !== 200 || body.dag_runs.length !== 100 || body.total_entries !== RUNS) throw new Error(`dagRuns answered ${r.status}`);
    });
    const figures = [
      { name: `grid, ${GRID_RUNS} runs x ${tasks.length} tasks (${(size / 1024).toFixed(0)} KiB HTML)`, p50: grid.p50, p99: grid.p99, target: 'p99 < 200 ms' },
      { name: `GET /api/v1/dags/{id}/dagRuns?limit=100, ${RUNS} runs stored`, p50: api.p50, p99: api.p99, target: 'p99 < 20 ms' },
    ];
    if (asJson) console.log(JSON.stringify({ node: process.version, cpus: os.cpus().length, figures }, null, 2));
    else {
      const table = new Table({ head: ['figure', 'p50 (ms)', 'p99 (ms)', 'target'] });
      for (const f of figures) table.push([f.name, f.p50.toFixed(1), f.p99.toFixed(1), f.target]);
      console.log(table.toString());
      console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
    }
  } finally {
    await server.close();
  }
} finally {
  await engine.close();
  runs.close();
  users.close();
  rmSync(home, { recursive: true, force: true });
}
