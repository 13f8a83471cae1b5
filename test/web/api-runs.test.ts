// DAG runs over the REST API: trigger (conf, note, logical date), duplicates, bad input, pagination and
// filters, state changes, delete, clear, and the batch list. Runs of paused_demo stay queued (it is paused),
// so nothing runs underneath these tests but what they ask for.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiServer, conformance, type ApiServer } from './api-harness.js';

let s: ApiServer;
let conforms: Awaited<ReturnType<typeof conformance>>;
const RUNS = '/api/v1/dags/paused_demo/dagRuns';

beforeAll(async () => {
  s = await apiServer({ server: { bodyLimit: 4096 } });
  conforms = await conformance(s);
  for (let day = 1; day <= 5; day++) {
    const r = await s.json('POST', RUNS, { body: { dag_run_id: `day_${day}`, logical_date: `2026-03-0${day}T00:00:00+00:00` } });
    expect(r.status).toBe(200);
  }
});
afterAll(async () => s?.close());

describe('POST /dags/{dag_id}/dagRuns', () => {
  test('queues a run with conf and a note; a generated run id follows Airflow (manual__<logical date>)', async () => {
    const r = await s.json('POST', RUNS, { as: 'Op', body: { conf: { size: 3, nested: { a: [1, 2] } }, note: 'from the API', logical_date: '2026-04-01T12:00:00Z' } });
    expect(r.status).toBe(200);
    conforms('POST', '/dags/{dag_id}/dagRuns', 200, r.body);
    expect(r.body).toMatchObject({
      dag_run_id: 'manual__2026-04-01T12:00:00+00:00', state: 'queued', run_type: 'manual', external_trigger: true,
      conf: { size: 3, nested: { a: [1, 2] } }, note: 'from the API', logical_date: '2026-04-01T12:00:00.000Z',
    });
    const again = await s.json('GET', `${RUNS}/${encodeURIComponent(r.body.dag_run_id)}`);
    expect(again.body.note).toBe('from the API');
  });

  test('409 on a duplicate run id or logical date', async () => {
    for (const bad of ['../../../../escaped', 'a/b', '..', 'has space']) {
      const r = await s.json('POST', RUNS, { body: { dag_run_id: bad } });
      expect(r.status, bad).toBe(400);
      expect(r.body.detail).toMatch(/run_id_pattern/);
    }
    const dup = await s.json('POST', RUNS, { body: { dag_run_id: 'day_1' } });
    expect(dup.status).toBe(409);
    conforms('POST', '/dags/{dag_id}/dagRuns', 409, dup.body);
    expect(dup.body.title).toBe('DAGRun already exists');
    expect((await s.json('POST', RUNS, { body: { logical_date: '2026-03-01T00:00:00Z' } })).status).toBe(409);
  });

  test('400 naming the field for bad input; 404 for an unknown DAG; 403 for a Viewer; 413 over the body limit', async () => {
    const conf = await s.json('POST', RUNS, { body: { conf: 'not an object' } });
    expect(conf.status).toBe(400);
    conforms('POST', '/dags/{dag_id}/dagRuns', 400, conf.body);
    expect(conf.body.detail).toContain('conf');
    const date = await s.json('POST', RUNS, { body: { logical_date: 'yesterday' } });
    expect(date.status).toBe(400);
    expect(date.body.detail).toContain('logical_date');
    const unknown = await s.json('POST', RUNS, { body: { confx: {} } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toContain('additional properties');
    const json = await s.json('POST', RUNS, { body: '{"conf": ' });
    expect(json.status).toBe(400);
    expect((await s.json('POST', '/api/v1/dags/nope/dagRuns', { body: {} })).status).toBe(404);
    const viewer = await s.call('POST', RUNS, { as: 'Viewer', body: {} });
    expect([viewer.status, viewer.statusText]).toEqual([403, 'FORBIDDEN']);
    const big = await s.json('POST', RUNS, { body: { conf: { blob: 'x'.repeat(5000) } } });
    expect(big.status).toBe(413);
    expect(big.res.headers.get('content-type')).toContain('application/problem+json');
    const form = await s.call('POST', RUNS, { body: undefined, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
  });
});

describe('GET /dags/{dag_id}/dagRuns', () => {
  test('pages oldest first by default, with total_entries before paging', async () => {
    const r = await s.json('GET', `${RUNS}?limit=2&offset=1&execution_date_lte=2026-03-31T00:00:00Z`);
    conforms('GET', '/dags/{dag_id}/dagRuns', 200, r.body);
    expect(r.body.total_entries).toBe(5);
    expect(r.body.dag_runs.map((x: { dag_run_id: string }) => x.dag_run_id)).toEqual(['day_2', 'day_3']);
  });

  test('orders by any run field, descending with -, and filters by state and dates', async () => {
    const r = await s.json('GET', `${RUNS}?order_by=-execution_date&limit=1`);
    expect(r.body.dag_runs[0].dag_run_id).toBe('manual__2026-04-01T12:00:00+00:00');
    const ranged = await s.json('GET', `${RUNS}?execution_date_gte=2026-03-02T00:00:00Z&execution_date_lte=2026-03-03T00:00:00%2B00:00`);
    expect(ranged.body.dag_runs.map((x: { dag_run_id: string }) => x.dag_run_id)).toEqual(['day_2', 'day_3']);
    expect((await s.json('GET', `${RUNS}?state=success`)).body.total_entries).toBe(0);
    expect((await s.json('GET', `${RUNS}?state=queued&state=failed`)).body.total_entries).toBeGreaterThanOrEqual(5);
    expect((await s.json('GET', `${RUNS}?order_by=colour`)).status).toBe(400);
  });

  test("dag_id '~' lists the runs of every DAG; POST /dags/~/dagRuns/list filters by dag_ids and states", async () => {
    expect((await s.json('GET', '/api/v1/dags/~/dagRuns')).body.total_entries).toBeGreaterThanOrEqual(6);
    const r = await s.json('POST', '/api/v1/dags/~/dagRuns/list', { as: 'Viewer', body: { dag_ids: ['paused_demo'], states: ['queued'], page_limit: 2, order_by: 'dag_run_id' } });
    expect(r.status).toBe(200);
    conforms('POST', '/dags/~/dagRuns/list', 200, r.body);
    expect(r.body.dag_runs.map((x: { dag_run_id: string }) => x.dag_run_id)).toEqual(['day_1', 'day_2']);
    expect((await s.json('POST', '/api/v1/dags/~/dagRuns/list', { body: { page_limit: 0 } })).status).toBe(400);
  });

  test('404 for an unknown DAG or run', async () => {
    const r = await s.json('GET', `${RUNS}/nope`);
    expect(r.status).toBe(404);
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}', 404, r.body);
    expect(r.body.title).toBe('DAGRun not found');
    expect((await s.json('GET', '/api/v1/dags/nope/dagRuns')).status).toBe(404);
  });
});

describe('changing a run', () => {
  test('PATCH state: success settles its task instances, failed and queued as Airflow', async () => {
    const ok = await s.json('PATCH', `${RUNS}/day_1`, { as: 'Op', body: { state: 'success' } });
    expect(ok.status).toBe(200);
    conforms('PATCH', '/dags/{dag_id}/dagRuns/{dag_run_id}', 200, ok.body);
    expect(ok.body.state).toBe('success');
    const tis = await s.json('GET', `${RUNS}/day_1/taskInstances`);
    expect(tis.body.task_instances.map((t: { state: string }) => t.state)).toEqual(['success']);
    expect((await s.json('PATCH', `${RUNS}/day_1`, { body: { state: 'failed' } })).body.state).toBe('failed');
    expect((await s.json('PATCH', `${RUNS}/day_1`, { body: { state: 'running' } })).status).toBe(400);
    expect((await s.json('PATCH', `${RUNS}/day_1`, { as: 'Viewer', body: { state: 'success' } })).status).toBe(403);
  });

  test('POST …/clear: dry_run (the default) lists what would be cleared; false clears and re-queues the run', async () => {
    const dry = await s.json('POST', `${RUNS}/day_1/clear`, { body: {} });
    expect(dry.status).toBe(200);
    conforms('POST', '/dags/{dag_id}/dagRuns/{dag_run_id}/clear', 200, dry.body);
    expect(dry.body.task_instances.map((t: { task_id: string }) => t.task_id)).toEqual(['only']);
    const done = await s.json('POST', `${RUNS}/day_1/clear`, { body: { dry_run: false } });
    conforms('POST', '/dags/{dag_id}/dagRuns/{dag_run_id}/clear', 200, done.body);
    expect(done.body).toMatchObject({ dag_run_id: 'day_1', state: 'queued' });
    expect((await s.json('GET', `${RUNS}/day_1/taskInstances/only`)).body.state).toBeNull();
  });

  test('DELETE removes the run and its task instances (204), then 404', async () => {
    const del = await s.call('DELETE', `${RUNS}/day_5`, { as: 'Op' });
    expect(del.status).toBe(204);
    expect((await s.json('GET', `${RUNS}/day_5`)).status).toBe(404);
    expect((await s.json('GET', `${RUNS}/day_5/taskInstances`)).status).toBe(404);
    expect((await s.call('DELETE', `${RUNS}/day_5`)).status).toBe(404);
    expect((await s.call('DELETE', `${RUNS}/day_4`, { as: 'Viewer' })).status).toBe(403);
  });
});
