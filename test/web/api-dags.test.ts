// GET /dags, GET|PATCH /dags/{id}, details, tasks, importErrors, health, version, config, openapi.json:
// every answer checked against Airflow 2.10's spec and this server's own OpenAPI document.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiServer, conformance, type ApiServer } from './api-harness.js';

let s: ApiServer;
let conforms: Awaited<ReturnType<typeof conformance>>;
beforeAll(async () => {
  s = await apiServer();
  conforms = await conformance(s);
});
afterAll(async () => s?.close());

describe('GET /dags', () => {
  test('lists every DAG with Airflow fields, total_entries and the default order by dag_id', async () => {
    const r = await s.json('GET', '/api/v1/dags');
    expect(r.status).toBe(200);
    conforms('GET', '/dags', 200, r.body);
    expect(r.body.total_entries).toBe(2);
    expect(r.body.dags.map((d: { dag_id: string }) => d.dag_id)).toEqual(['api_demo', 'paused_demo']);
    const demo = r.body.dags[0];
    expect(demo).toMatchObject({ is_paused: false, is_active: true, tags: [{ name: 'api' }, { name: 'test' }], schedule_interval: null, has_import_errors: false });
    expect(r.body.dags[1].schedule_interval).toEqual({ __type: 'CronExpression', value: '@daily' });
  });

  test('pages with limit, offset and order_by (descending with -)', async () => {
    const r = await s.json('GET', '/api/v1/dags?limit=1&offset=0&order_by=-dag_id');
    expect(r.body.dags.map((d: { dag_id: string }) => d.dag_id)).toEqual(['paused_demo']);
    expect(r.body.total_entries).toBe(2);
    const next = await s.json('GET', '/api/v1/dags?limit=1&offset=1&order_by=-dag_id');
    expect(next.body.dags.map((d: { dag_id: string }) => d.dag_id)).toEqual(['api_demo']);
  });

  test('filters by tags, paused and dag_id_pattern', async () => {
    expect((await s.json('GET', '/api/v1/dags?tags=other')).body.dags.map((d: { dag_id: string }) => d.dag_id)).toEqual(['paused_demo']);
    expect((await s.json('GET', '/api/v1/dags?paused=false')).body.dags.map((d: { dag_id: string }) => d.dag_id)).toEqual(['api_demo']);
    expect((await s.json('GET', '/api/v1/dags?dag_id_pattern=PAUSED')).body.total_entries).toBe(1);
  });

  test('answers 400 naming the field for a bad order_by or limit', async () => {
    const bad = await s.json('GET', '/api/v1/dags?order_by=nope');
    expect(bad.status).toBe(400);
    expect(bad.res.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.detail).toContain("'nope'");
    conforms('GET', '/dags/{dag_id}', 404, bad.body); // the Error schema
    const limit = await s.json('GET', '/api/v1/dags?limit=zero');
    expect(limit.status).toBe(400);
    expect(limit.body.detail).toContain('limit');
  });
});

describe('one DAG', () => {
  test('GET /dags/{id} and /details answer Airflow shapes; an unknown id is 404 NOT FOUND', async () => {
    const r = await s.json('GET', '/api/v1/dags/api_demo');
    conforms('GET', '/dags/{dag_id}', 200, r.body);
    const d = await s.json('GET', '/api/v1/dags/api_demo/details');
    conforms('GET', '/dags/{dag_id}/details', 200, d.body);
    expect(d.body).toMatchObject({ doc_md: 'A **small** DAG.', catchup: true, start_date: '2026-01-01T00:00:00.000Z', params: { n: { value: 1 } } });
    const missing = await s.call('GET', '/api/v1/dags/nope');
    expect(missing.status).toBe(404);
    expect(missing.statusText).toBe('NOT FOUND');
    const body = await missing.json();
    conforms('GET', '/dags/{dag_id}', 404, body);
    expect(body).toMatchObject({ title: 'DAG not found', status: 404, detail: "DAG with dag_id: 'nope' not found" });
  });

  test('PATCH update_mask=is_paused pauses and unpauses for Op; a Viewer gets 403 FORBIDDEN', async () => {
    const paused = await s.json('PATCH', '/api/v1/dags/paused_demo?update_mask=is_paused', { as: 'Op', body: { is_paused: false } });
    expect(paused.status).toBe(200);
    conforms('PATCH', '/dags/{dag_id}', 200, paused.body);
    expect(paused.body.is_paused).toBe(false);
    expect((await s.json('PATCH', '/api/v1/dags/paused_demo', { body: { is_paused: true } })).body.is_paused).toBe(true);
    const viewer = await s.call('PATCH', '/api/v1/dags/paused_demo?update_mask=is_paused', { as: 'Viewer', body: { is_paused: false } });
    expect(viewer.status).toBe(403);
    expect(viewer.statusText).toBe('FORBIDDEN');
    conforms('PATCH', '/dags/{dag_id}', 403, await viewer.json());
    expect((await s.json('GET', '/api/v1/dags/paused_demo')).body.is_paused).toBe(true);
  });

  test('PATCH refuses other fields (400) and a body that is not a boolean (400 naming is_paused)', async () => {
    const mask = await s.json('PATCH', '/api/v1/dags/api_demo?update_mask=description', { body: { description: 'x' } });
    expect(mask.status).toBe(400);
    expect(mask.body.detail).toContain('is_paused');
    const type = await s.json('PATCH', '/api/v1/dags/api_demo?update_mask=is_paused', { body: { is_paused: 'maybe' } });
    expect(type.status).toBe(400);
    expect(type.body.detail).toContain('is_paused');
  });

  test('tasks: all of them, one by id, 404 for an unknown task', async () => {
    const r = await s.json('GET', '/api/v1/dags/api_demo/tasks');
    conforms('GET', '/dags/{dag_id}/tasks', 200, r.body);
    expect(r.body.tasks.map((t: { task_id: string }) => t.task_id)).toEqual(['extract', 'load', 'transform']);
    expect(r.body.tasks[0].downstream_task_ids).toEqual(['transform']);
    const one = await s.json('GET', '/api/v1/dags/api_demo/tasks/transform');
    conforms('GET', '/dags/{dag_id}/tasks/{task_id}', 200, one.body);
    expect(one.body.retry_delay).toEqual({ __type: 'TimeDelta', days: 0, seconds: 300, microseconds: 0 });
    const missing = await s.json('GET', '/api/v1/dags/api_demo/tasks/nope');
    expect(missing.status).toBe(404);
    conforms('GET', '/dags/{dag_id}/tasks/{task_id}', 404, missing.body);
  });
});

describe('monitoring and the rest', () => {
  test('GET /importErrors lists the file that failed to load', async () => {
    const r = await s.json('GET', '/api/v1/importErrors');
    conforms('GET', '/importErrors', 200, r.body);
    expect(r.body.total_entries).toBe(1);
    expect(r.body.import_errors[0]).toMatchObject({ import_error_id: 1, filename: expect.stringContaining('broken_api.ts'), stack_trace: expect.stringContaining('broken on purpose') });
  });

  test('/health and /api/v1/health need no login; /version does', async () => {
    for (const p of ['/health', '/api/v1/health']) {
      const r = await s.json('GET', p, { as: null });
      expect(r.status).toBe(200);
      conforms('GET', '/health', 200, r.body);
      expect(r.body).toMatchObject({ metadatabase: { status: 'healthy' }, scheduler: { status: 'unhealthy', latest_scheduler_heartbeat: null } });
    }
    expect((await s.call('GET', '/api/v1/version', { as: null })).status).toBe(401);
    const v = await s.json('GET', '/api/v1/version', { as: 'Viewer' });
    conforms('GET', '/version', 200, v.body);
  });

  test('GET /config is 403 FORBIDDEN, as Airflow with expose_config = False', async () => {
    const r = await s.call('GET', '/api/v1/config');
    expect(r.status).toBe(403);
    expect(r.statusText).toBe('FORBIDDEN');
    const body = (await r.json()) as { detail: string };
    conforms('GET', '/config', 403, body);
    expect(body.detail).toContain('chose not to expose the configuration');
  });

  test('an unknown route is a problem-JSON 404, without a stack trace', async () => {
    const r = await s.call('GET', '/api/v1/nothing/here');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(await r.text()).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  test('/api/v1/openapi.json documents the implemented routes with Airflow paths, requiring Basic auth', async () => {
    const doc = (await s.json('GET', '/api/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    for (const p of ['/dags', '/dags/{dag_id}', '/dags/{dag_id}/dagRuns', '/dags/~/dagRuns/list', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}', '/dags/{dag_id}/clearTaskInstances', '/importErrors', '/health']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/login') || p.startsWith('/api/'))).toBe(false);
    expect(doc.components.schemas.DAGRun.properties.state.enum).toEqual(['queued', 'running', 'success', 'failed']);
  });
});
