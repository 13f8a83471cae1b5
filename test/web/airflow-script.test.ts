// "A script written for Airflow must work unchanged, with only the base URL and credentials changed."
// The script below is what an Airflow user writes against Airflow 2.10's stable REST API with fetch:
// trigger a run with conf, poll it, read its task states, a log and an XCom, clear the failed task and
// poll again. It runs against the real dagctl webserver on 127.0.0.1 (port 0), over a DAG folder in a temp
// dir, with a real scheduler (another engine in this process, as `dagctl scheduler` would be) driving runs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openEngine, type Engine } from '../../src/engine/service.js';
import { apiServer, silent, type ApiServer } from './api-harness.js';

const DAG_FILE = (src: string) => `
import { DAG } from '${src}/engine/index.ts';
import { FunctionOperator } from '${src}/operators/function.ts';

const dag = new DAG({ dagId: 'nightly_report', schedule: null, isPausedUponCreation: false, params: { rows: 10 } });
const fetchRows = dag.add(new FunctionOperator({ taskId: 'fetch_rows', fn: (ctx) => {
  ctx.logger.info({ rows: ctx.params.rows }, 'fetched rows');
  return { rows: Number(ctx.params.rows) };
} }));
const publish = dag.add(new FunctionOperator({ taskId: 'publish', fn: (ctx) => {
  if (ctx.params.flaky === true && ctx.tryNumber === 1) throw new Error('the report server said 503');
  return 'published ' + String(ctx.xcomPull(fetchRows)?.rows) + ' rows';
} }));
fetchRows.then(publish);
export default dag;
`;

let dir: string;
let s: ApiServer;
let scheduler: Engine;
let stopScheduler: AbortController;
let schedulerDone: Promise<void>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dagctl-script-'));
  mkdirSync(path.join(dir, 'dags'));
  writeFileSync(path.join(dir, 'dags', 'nightly_report.ts'), DAG_FILE(pathToFileURL(path.resolve(import.meta.dirname, '../../src')).href));
  s = await apiServer({ dagsFolder: path.join(dir, 'dags') });
  scheduler = await openEngine({ home: s.home, dagsFolders: [path.join(dir, 'dags')], parallelism: 2, logger: silent, heartbeatS: 1 });
  stopScheduler = new AbortController();
  schedulerDone = scheduler.runScheduler({ signal: stopScheduler.signal });
});
afterAll(async () => {
  stopScheduler?.abort();
  await schedulerDone;
  await scheduler?.close();
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

// ---- the Airflow user's script: only AIRFLOW_URL and the credentials are ours ----
interface Airflow {
  url: string;
  user: string;
  password: string;
}

async function api<T = any>(af: Airflow, method: string, endpoint: string, body?: unknown): Promise<T> {
  const res = await fetch(`${af.url}/api/v1${endpoint}`, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from(`${af.user}:${af.password}`).toString('base64')}`,
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${endpoint}: ${res.status} ${res.statusText}: ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

async function waitForRun(af: Airflow, dagId: string, runId: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await api(af, 'GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`);
    if (run.state === 'success' || run.state === 'failed') return run.state;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.state}`);
    await new Promise((r) => setTimeout(r, 100)); // the poll interval an Airflow script uses (seconds there)
  }
}

async function nightlyReport(af: Airflow) {
  const dagId = 'nightly_report';
  await api(af, 'PATCH', `/dags/${dagId}?update_mask=is_paused`, { is_paused: false });
  const run = await api(af, 'POST', `/dags/${dagId}/dagRuns`, { conf: { rows: 42, flaky: true }, note: 'triggered by the nightly script' });
  const runId: string = run.dag_run_id;
  const first = await waitForRun(af, dagId, runId);
  const tis = await api(af, 'GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances`);
  const states = Object.fromEntries(tis.task_instances.map((t: any) => [t.task_id, t.state]));
  const failed = tis.task_instances.filter((t: any) => t.state === 'failed').map((t: any) => t.task_id);
  const failedLog = failed.length
    ? (await api(af, 'GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${failed[0]}/logs/${tis.task_instances.find((t: any) => t.task_id === failed[0]).try_number}?full_content=true`)).content
    : '';
  const rows = await api(af, 'GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/fetch_rows/xcomEntries/return_value`);
  await api(af, 'POST', `/dags/${dagId}/clearTaskInstances`, { dry_run: false, dag_run_id: runId, task_ids: failed, only_failed: true, include_downstream: true });
  const second = await waitForRun(af, dagId, runId);
  const published = await api(af, 'GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/publish/xcomEntries/return_value`);
  return { first, states, failed, failedLog, rows: JSON.parse(rows.value), second, published: published.value };
}
// ---- end of the script ----

test('an Airflow REST script runs unchanged against dagctl webserver with a scheduler', async () => {
  expect(s.engine.schedulerAlive()).toBe(true); // so the server queues for the scheduler and does not drive
  const out = await nightlyReport({ url: s.url, user: 'op', password: 'op-pass' });
  expect(out.first).toBe('failed');
  expect(out.states).toEqual({ fetch_rows: 'success', publish: 'failed' });
  expect(out.failed).toEqual(['publish']);
  expect(out.failedLog).toContain('the report server said 503');
  expect(out.rows).toEqual({ rows: 42 });
  expect(out.second).toBe('success');
  expect(out.published).toBe('published 42 rows');
});
