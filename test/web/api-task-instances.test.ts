// Task instances, logs and XCom of runs the server drives itself (no scheduler is alive): a run that
// succeeds, and one whose `transform` fails on its first try, then cleared and marked over the API.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { apiServer, conformance, type ApiServer } from './api-harness.js';

let s: ApiServer;
let conforms: Awaited<ReturnType<typeof conformance>>;
const DAG = '/api/v1/dags/api_demo';
const ok = 'ok_run';
const bad = 'bad_run';

async function finished(runId: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const state = (await s.json('GET', `${DAG}/dagRuns/${runId}`)).body.state as string;
      if (state !== 'success' && state !== 'failed') throw new Error(`run ${runId} is ${state}`);
      return state;
    },
    { timeout: 30_000, interval: 50 },
  );
}

beforeAll(async () => {
  s = await apiServer();
  conforms = await conformance(s);
  expect((await s.json('POST', `${DAG}/dagRuns`, { body: { dag_run_id: ok, conf: { n: 4 } } })).status).toBe(200);
  expect(await finished(ok)).toBe('success');
  expect((await s.json('POST', `${DAG}/dagRuns`, { body: { dag_run_id: bad, conf: { fail_first_try: true } } })).status).toBe(200);
  expect(await finished(bad)).toBe('failed');
});
afterAll(async () => s?.close());

describe('task instances', () => {
  test('lists a run’s task instances in DAG order with Airflow fields; filters by state', async () => {
    const r = await s.json('GET', `${DAG}/dagRuns/${ok}/taskInstances`);
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances', 200, r.body);
    expect(r.body.total_entries).toBe(3);
    expect(r.body.task_instances.map((t: { task_id: string; state: string }) => [t.task_id, t.state])).toEqual([['extract', 'success'], ['transform', 'success'], ['load', 'success']]);
    expect(r.body.task_instances[0]).toMatchObject({ try_number: 1, map_index: -1, dag_run_id: ok, pool: 'default_pool' });
    const failed = await s.json('GET', `${DAG}/dagRuns/${bad}/taskInstances?state=failed&state=upstream_failed`);
    expect(failed.body.task_instances.map((t: { task_id: string; state: string }) => [t.task_id, t.state])).toEqual([['transform', 'failed'], ['load', 'upstream_failed']]);
    expect((await s.json('GET', `${DAG}/dagRuns/${ok}/taskInstances?limit=1&offset=2`)).body.task_instances[0].task_id).toBe('load');
  });

  test('one task instance; 404 for an unknown task, run or DAG', async () => {
    const r = await s.json('GET', `${DAG}/dagRuns/${ok}/taskInstances/transform`);
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}', 200, r.body);
    expect(r.body).toMatchObject({ task_id: 'transform', state: 'success', operator: 'FunctionOperator' });
    for (const p of [`${DAG}/dagRuns/${ok}/taskInstances/nope`, `${DAG}/dagRuns/nope/taskInstances/transform`, `/api/v1/dags/nope/dagRuns/${ok}/taskInstances/transform`]) {
      const miss = await s.json('GET', p);
      expect(miss.status).toBe(404);
      conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}', 404, miss.body);
    }
  });
});

describe('logs', () => {
  const log = (run: string, task: string, n: number | string, q = '') => `${DAG}/dagRuns/${run}/taskInstances/${task}/logs/${n}${q}`;

  test('as JSON {content, continuation_token}, and as text/plain', async () => {
    const r = await s.json('GET', log(ok, 'extract', 1));
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}', 200, r.body);
    expect(r.body.content).toContain('extracting');
    expect(typeof r.body.continuation_token).toBe('string');
    const text = await s.call('GET', log(ok, 'extract', 1), { headers: { accept: 'text/plain' } });
    expect(text.headers.get('content-type')).toContain('text/plain');
    // axios's default Accept lists JSON first: JSON, as Airflow answers it.
    const axios = await s.call('GET', log(ok, 'extract', 1), { headers: { accept: 'application/json, text/plain, */*' } });
    expect(axios.headers.get('content-type')).toContain('application/json');
    expect(await text.text()).toBe(r.body.content);
    const failed = await s.json('GET', log(bad, 'transform', 1));
    expect(failed.body.content).toContain('transform failed on purpose');
  });

  test('the continuation token returns only what was written after it', async () => {
    const first = await s.json('GET', log(ok, 'extract', 1));
    const rest = await s.json('GET', log(ok, 'extract', 1, `?token=${first.body.continuation_token}`));
    expect(rest.body.content).toBe('');
    expect((await s.json('GET', log(ok, 'extract', 1, '?token=garbage'))).status).toBe(400);
  });

  test('404 for a try that does not exist; 400 for one that is not a number', async () => {
    for (const n of [0, 2, 99]) {
      const r = await s.json('GET', log(ok, 'extract', n));
      expect(r.status).toBe(404);
      conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}', 404, r.body);
    }
    const nan = await s.json('GET', log(ok, 'extract', 'one'));
    expect(nan.status).toBe(400);
    expect(nan.body.detail).toContain('task_try_number');
  });

  test('can never read outside the log folder', async () => {
    for (const p of [
      `${DAG}/dagRuns/..%2F..%2F..%2Fetc/taskInstances/extract/logs/1`,
      `${DAG}/dagRuns/${ok}/taskInstances/..%2F..%2F..%2F..%2Fetc%2Fpasswd/logs/1`,
      `/api/v1/dags/..%2F..%2F..%2F/dagRuns/${ok}/taskInstances/extract/logs/1`,
    ]) {
      const r = await s.call('GET', p, { headers: { accept: 'text/plain' } });
      expect(r.status).toBe(404);
      expect(await r.text()).not.toContain('root:');
    }
  });
});

describe('XCom', () => {
  const x = (task: string, key = '', q = '') => `${DAG}/dagRuns/${ok}/taskInstances/${task}/xcomEntries${key ? `/${key}` : ''}${q}`;

  test('lists a task instance’s entries (without values) and pages them', async () => {
    const r = await s.json('GET', x('extract'));
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries', 200, r.body);
    expect(r.body.xcom_entries.map((e: { key: string }) => e.key)).toEqual(['return_value', 'unit']);
    expect(r.body.xcom_entries[0].value).toBeUndefined();
    expect((await s.json('GET', x('extract', '', '?xcom_key=unit'))).body.total_entries).toBe(1);
  });

  test('one entry: stringified by default (as Airflow), the JSON itself with stringify=false; 404 for a missing key', async () => {
    const str = await s.json('GET', x('extract', 'return_value'));
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}', 200, str.body);
    expect(str.body.value).toBe('{"n":4}');
    const raw = await s.json('GET', x('extract', 'return_value', '?stringify=false'));
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}', 200, raw.body);
    expect(raw.body.value).toEqual({ n: 4 });
    expect((await s.json('GET', x('load', 'return_value'))).body.value).toBe('8 rows');
    const miss = await s.json('GET', x('extract', 'nope'));
    expect(miss.status).toBe(404);
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}', 404, miss.body);
  });
});

describe('clearTaskInstances and updateTaskInstancesState', () => {
  test('clearing is a dry run unless dry_run is false; clearing the failed task reruns it (with downstream) to success', async () => {
    const body = { dag_run_id: bad, task_ids: ['transform'], include_downstream: true, only_failed: false };
    const dry = await s.json('POST', `${DAG}/clearTaskInstances`, { as: 'Op', body });
    expect(dry.status).toBe(200);
    conforms('POST', '/dags/{dag_id}/clearTaskInstances', 200, dry.body);
    expect(dry.body.task_instances.map((t: { task_id: string }) => t.task_id).sort()).toEqual(['load', 'transform']);
    expect((await s.json('GET', `${DAG}/dagRuns/${bad}/taskInstances/transform`)).body.state).toBe('failed');
    expect((await s.json('POST', `${DAG}/clearTaskInstances`, { as: 'Viewer', body })).status).toBe(403);
    expect((await s.json('POST', `${DAG}/clearTaskInstances`, { body: { ...body, only_running: true } })).status).toBe(400);
    const done = await s.json('POST', `${DAG}/clearTaskInstances`, { as: 'Op', body: { ...body, dry_run: false } });
    expect(done.status).toBe(200);
    expect(await finished(bad)).toBe('success');
    const ti = await s.json('GET', `${DAG}/dagRuns/${bad}/taskInstances/transform`);
    expect(ti.body).toMatchObject({ state: 'success', try_number: 2 });
    expect((await s.json('GET', `${DAG}/dagRuns/${bad}/taskInstances/transform/logs/2`)).body.content).toContain('transforming');
  });

  test('marks a task (and its downstream) failed; dry run first; 404 for an unknown task; 400 without a run', async () => {
    const body = { dag_run_id: ok, task_id: 'transform', new_state: 'failed', include_downstream: true };
    const dry = await s.json('POST', `${DAG}/updateTaskInstancesState`, { body });
    expect(dry.status).toBe(200);
    conforms('POST', '/dags/{dag_id}/updateTaskInstancesState', 200, dry.body);
    expect(dry.body.task_instances.map((t: { task_id: string }) => t.task_id)).toEqual(['transform', 'load']);
    expect((await s.json('GET', `${DAG}/dagRuns/${ok}/taskInstances/load`)).body.state).toBe('success');
    const done = await s.json('POST', `${DAG}/updateTaskInstancesState`, { as: 'Op', body: { ...body, dry_run: false } });
    expect(done.body.task_instances).toHaveLength(2);
    expect((await s.json('GET', `${DAG}/dagRuns/${ok}/taskInstances/load`)).body.state).toBe('failed');
    expect((await s.json('POST', `${DAG}/updateTaskInstancesState`, { body: { ...body, task_id: 'nope' } })).status).toBe(404);
    expect((await s.json('POST', `${DAG}/updateTaskInstancesState`, { body: { task_id: 'load', new_state: 'success' } })).status).toBe(400);
    const state = await s.json('POST', `${DAG}/updateTaskInstancesState`, { body: { ...body, new_state: 'running' } });
    expect(state.status).toBe(400);
    expect(state.body.detail).toContain('new_state');
  });
});
