// Mapped task instances over the REST API: listMapped, one instance by map index, its log and XCom, and a
// mapped task named without an index — against the example DAG the engine ships, driven by the server itself.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { apiServer, conformance, type ApiServer } from './api-harness.js';

let s: ApiServer;
let conforms: Awaited<ReturnType<typeof conformance>>;
const DAG = '/api/v1/dags/example_dynamic_task_mapping';
const RUN = 'mapped_run';
const TI = `${DAG}/dagRuns/${RUN}/taskInstances`;

beforeAll(async () => {
  s = await apiServer({ dagsFolder: path.resolve(import.meta.dirname, '../../src/dags/examples') });
  conforms = await conformance(s);
  expect((await s.json('POST', `${DAG}/dagRuns`, { body: { dag_run_id: RUN } })).status).toBe(200);
  await vi.waitFor(async () => expect((await s.json('GET', `${DAG}/dagRuns/${RUN}`)).body.state).toBe('success'), { timeout: 30_000, interval: 50 });
});
afterAll(async () => s?.close());

describe('mapped task instances', () => {
  test('the run lists every instance with its map index', async () => {
    const r = await s.json('GET', TI);
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances', 200, r.body);
    const addOne = r.body.task_instances.filter((t: { task_id: string }) => t.task_id === 'add_one');
    expect(addOne.map((t: { map_index: number; state: string }) => [t.map_index, t.state])).toEqual([[0, 'success'], [1, 'success'], [2, 'success']]);
  });

  test('listMapped pages one mapped task’s instances in map-index order', async () => {
    const r = await s.json('GET', `${TI}/add_one/listMapped?limit=2&order_by=-map_index`);
    expect(r.status).toBe(200);
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/listMapped', 200, r.body);
    expect(r.body.total_entries).toBe(3);
    expect(r.body.task_instances.map((t: { map_index: number }) => t.map_index)).toEqual([2, 1]);
    expect((await s.json('GET', `${TI}/sum_it/listMapped`)).status).toBe(404); // not mapped
  });

  test('one instance by map index, its log and its XCom; the bare task id says it is mapped', async () => {
    const one = await s.json('GET', `${TI}/greet/1`);
    conforms('GET', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}', 200, one.body);
    expect(one.body).toMatchObject({ task_id: 'greet', map_index: 1, state: 'success', try_number: 1 });
    const log = await s.json('GET', `${TI}/greet/logs/1?map_index=1`);
    expect(log.body.content).toContain('hello grace');
    const xcom = await s.json('GET', `${TI}/greet/xcomEntries/return_value?map_index=1&stringify=false`);
    expect(xcom.status, JSON.stringify(xcom.body)).toBe(200);
    expect(xcom.body.value).toBe('hello grace');
    const bare = await s.json('GET', `${TI}/greet`);
    expect(bare.status).toBe(404);
    expect(bare.body.detail).toMatch(/it is mapped: give a map index from 0 to 1/);
    expect((await s.json('GET', `${TI}/greet/7`)).status).toBe(404);
    expect((await s.json('GET', `${TI}/greet/x`)).status).toBe(400);
  });

  test('updateTaskInstancesState marks every instance of a mapped task', async () => {
    const r = await s.json('POST', `${DAG}/updateTaskInstancesState`, { body: { dag_run_id: RUN, task_id: 'add_one', new_state: 'failed', dry_run: false } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.task_instances).toHaveLength(3);
    const listed = await s.json('GET', `${TI}/add_one/listMapped`);
    expect(listed.body.task_instances.map((t: { state: string }) => t.state)).toEqual(['failed', 'failed', 'failed']);
  });
});
