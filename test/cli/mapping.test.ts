// A mapped DAG through the CLI: listings carry map_index, --map-index picks one instance, and a mapped task
// asked for without one says how to ask.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dagctl, json, tempHome } from './harness.js';

const DAG = 'example_dynamic_task_mapping';
const RUN = 'manual__2026-03-03T00:00:00+00:00';
let home: string;
let cleanup: () => void;
const cli = (...args: string[]) => dagctl(home, args);

beforeAll(async () => {
  ({ home, cleanup } = tempHome());
  const r = await cli('trigger', DAG, '-e', '2026-03-03', '--wait');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/greet\[1\]/); // progress names each instance
}, 60_000);
afterAll(() => cleanup());

describe('mapped task instances in the CLI', () => {
  it('lists every instance with its map index', async () => {
    const tis = json<Array<{ task_id: string; map_index: number; state: string }>>(await cli('tasks', 'states-for-dag-run', DAG, RUN, '-o', 'json'));
    expect(tis.filter((t) => t.task_id === 'add_one').map((t) => [t.map_index, t.state])).toEqual([[0, 'success'], [1, 'success'], [2, 'success']]);
    expect(tis.find((t) => t.task_id === 'sum_it')).toMatchObject({ map_index: -1, state: 'success' });
    const table = (await cli('tasks', 'states-for-dag-run', DAG, RUN)).stdout;
    expect(table).toContain('map_index');
  });

  it('reads one instance with --map-index, and asks for it when a mapped task is named without one', async () => {
    expect((await cli('tasks', 'state', DAG, 'greet', RUN, '--map-index', '1')).stdout.trim()).toBe('success');
    expect((await cli('tasks', 'logs', DAG, RUN, 'greet', '--map-index', '1')).stdout).toContain('hello grace');
    const bare = await cli('tasks', 'state', DAG, 'greet', RUN);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/no task instance with map index -1[\s\S]*it is mapped: give a map index from 0 to 1 \(--map-index N\)/);
    const tooFar = await cli('tasks', 'state', DAG, 'greet', RUN, '--map-index', '7');
    expect(tooFar.stderr).toMatch(/map index 7/);
    expect((await cli('tasks', 'state', DAG, 'sum_it', RUN, '--map-index', 'x')).code).toBe(2);
  });

  it('tests one instance of a mapped task in-process', async () => {
    const r = await cli('tasks', 'test', DAG, 'add_one', '--map-index', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('return_value: 4');
    const bare = await cli('tasks', 'test', DAG, 'add_one');
    expect(bare.stderr).toMatch(/it is mapped: give a map index \(--map-index N\)/);
  });
});
