import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/engine/store/open.js';
import { dagctl, json, tempHome } from './harness.js';

interface RunRow {
  dag_id: string;
  dag_run_id: string;
  state: string;
  run_type: string;
  logical_date: string;
  conf: unknown;
}
interface TiRow {
  task_id: string;
  state: string | null;
  try_number: number;
  dag_run_id: string;
}

const RUN = 'manual__2026-02-02T00:00:00+00:00';
let home: string;
let cleanup: () => void;
const cli = (...args: string[]) => dagctl(home, args);

beforeAll(() => {
  ({ home, cleanup } = tempHome());
});
afterAll(() => cleanup());

describe('dags: the DAG bag', () => {
  it('lists loaded DAGs (fixtures + examples) and warns about files that failed to load', async () => {
    const r = await cli('dags', 'list', '-o', 'json');
    expect(r.code).toBe(0);
    const ids = json<Array<{ dag_id: string; is_paused: boolean }>>(r).map((d) => d.dag_id);
    expect(ids).toContain('cli_daily');
    expect(ids).toContain('example_bash_chain');
    expect(ids).not.toContain('cli_broken');
    expect(r.stderr).toContain('2 DAG file(s) failed to load; see: dagctl dags list-import-errors');
  });

  it('reports each broken file with its reason (a cycle, a bad cron)', async () => {
    const errors = json<Array<{ filename: string; stack_trace: string }>>(await cli('dags', 'list-import-errors', '-o', 'json'));
    expect(errors.map((e) => path.basename(e.filename))).toEqual(['cli_bad_cron.ts', 'cli_broken.ts']);
    expect(errors[0]?.stack_trace).toContain("schedule: '61 * * * *' is not a cron expression or preset");
    expect(errors[1]?.stack_trace).toContain('cycle detected: a -> b -> a');
    const table = (await cli('dags', 'list-import-errors', '-o', 'plain')).stdout.trim().split('\n');
    expect(table).toHaveLength(2); // one line per file: the message, not the stack
    expect(table[1]).toMatch(/cli_broken\.ts\tDagDefinitionError: DAG 'cli_broken': cycle detected: a -> b -> a\t/);
  });

  it('prints every listing as table, plain, yaml and json', async () => {
    const table = await cli('dags', 'list');
    expect(table.stdout).toMatch(/│ dag_id\s+│ fileloc/);
    const plain = await cli('dags', 'list', '-o', 'plain');
    expect(plain.stdout.split('\n').find((l) => l.startsWith('cli_daily\t'))).toContain('\t0 0 * * *\t');
    const yaml = await cli('dags', 'list', '-o', 'yaml');
    expect(yaml.stdout).toContain('- dag_id: cli_daily');
  });

  it('shows the graph as text and as Graphviz DOT', async () => {
    expect((await cli('dags', 'show', 'cli_daily')).stdout).toContain('hello (FunctionOperator) -> bye');
    const dot = (await cli('dags', 'show', 'cli_daily', '--dot')).stdout;
    expect(dot).toMatch(/^digraph "cli_daily" \{/);
    expect(dot).toContain('"hello" -> "bye";');
  });

  it('computes the next logical dates of a daily DAG', async () => {
    const lines = (await cli('dags', 'next-execution', 'cli_daily', '-n', '3')).stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const days = lines.map((l) => Date.parse(l));
    expect(days[1]! - days[0]!).toBe(86_400_000);
    expect(days[2]! - days[1]!).toBe(86_400_000);
  });

  it('pauses and unpauses', async () => {
    expect(json<{ is_paused: boolean }>(await cli('dags', 'pause', 'cli_daily', '-o', 'json')).is_paused).toBe(true);
    const listed = json<Array<{ dag_id: string; is_paused: boolean }>>(await cli('dags', 'list', '-o', 'json'));
    expect(listed.find((d) => d.dag_id === 'cli_daily')?.is_paused).toBe(true);
    expect(json<{ is_paused: boolean }>(await cli('dags', 'unpause', 'cli_daily', '-o', 'json')).is_paused).toBe(false);
  });

  it('lists tasks in topological order with their rules and neighbours', async () => {
    const tasks = json<Array<{ task_id: string; upstream_task_ids: string[] }>>(await cli('tasks', 'list', 'cli_daily', '-o', 'json'));
    expect(tasks.map((t) => t.task_id)).toEqual(['hello', 'bye']);
    expect(tasks[1]?.upstream_task_ids).toEqual(['hello']);
  });
});

describe('trigger and follow a run', () => {
  it('queues a manual run with conf and a logical date, and prints it', async () => {
    const r = await cli('trigger', 'cli_daily', '-c', '{"who": "cli"}', '-e', '2026-02-02', '-o', 'json');
    expect(r.code).toBe(0);
    const run = json<RunRow>(r);
    expect(run).toMatchObject({ dag_id: 'cli_daily', dag_run_id: RUN, state: 'queued', run_type: 'manual', conf: { who: 'cli' } });
    const listed = json<RunRow[]>(await cli('runs', 'list', '-d', 'cli_daily', '-o', 'json'));
    expect(listed.map((x) => x.dag_run_id)).toEqual([RUN]);
  });

  it('refuses a second run with the same logical date, naming the fix', async () => {
    const r = await cli('dags', 'trigger', 'cli_daily', '-e', '2026-02-02');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*already exists\nhint: pass another --run-id or --exec-date/);
  });

  it('--wait drives the run here when no scheduler is alive, streams task states and prints a summary', async () => {
    const r = await cli('trigger', 'cli_daily', '-e', '2026-02-03', '--wait');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no scheduler is running');
    expect(r.stderr).toMatch(/hello\s+queued -> running {2}try 1/);
    expect(r.stderr).toMatch(/run manual__2026-02-03T00:00:00\+00:00: running -> success/);
    expect(r.stdout).toMatch(/│ hello\s+│ success\s+│ 1/);
    expect(r.stdout).toMatch(/run manual__2026-02-03T00:00:00\+00:00 of cli_daily: success in /);
  });

  it('--wait -o json prints the finished run with its task instances, progress staying on stderr', async () => {
    const r = await cli('trigger', 'cli_daily', '-e', '2026-02-04', '--wait', '-o', 'json');
    expect(r.code).toBe(0);
    const out = json<RunRow & { task_instances: TiRow[] }>(r);
    expect(out.state).toBe('success');
    expect(out.task_instances.map((t) => [t.task_id, t.state])).toEqual([
      ['hello', 'success'],
      ['bye', 'success'],
    ]);
    expect(r.stderr).toContain('bye       running -> success');
  });

  it('--wait on a paused DAG stops at once with the unpause hint; the run stays queued', async () => {
    await cli('dags', 'pause', 'cli_daily');
    try {
      const r = await cli('trigger', 'cli_daily', '-e', '2026-02-05', '--wait');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: DAG 'cli_daily' is paused, so its queued run will not start\nhint: unpause it with `dagctl dags unpause cli_daily`/);
      expect((await cli('dags', 'state', 'cli_daily', '2026-02-05')).stdout.trim()).toBe('queued');
    } finally {
      await cli('dags', 'unpause', 'cli_daily');
    }
  });

  it('runs the queued run too (scheduler --once) and filters runs by state and count', async () => {
    const r = await cli('scheduler', '--once', '-q');
    expect(r.code).toBe(0);
    const all = json<RunRow[]>(await cli('runs', 'list', '-d', 'cli_daily', '-o', 'json'));
    expect(all.length).toBeGreaterThanOrEqual(2);
    const ok = json<RunRow[]>(await cli('dags', 'list-runs', '-d', 'cli_daily', '--state', 'success', '-o', 'json'));
    expect(ok.map((x) => x.dag_run_id)).toContain('manual__2026-02-03T00:00:00+00:00');
    expect(ok.every((x) => x.state === 'success')).toBe(true);
    expect(json<RunRow[]>(await cli('runs', 'list', '--limit', '1', '-o', 'json'))).toHaveLength(1);
  });

  it('answers state questions by run id or logical date', async () => {
    expect((await cli('dags', 'state', 'cli_daily', '2026-02-03')).stdout.trim()).toBe('success');
    expect((await cli('dags', 'state', 'cli_daily', '2030-01-01')).stdout.trim()).toBe('None');
    expect((await cli('tasks', 'state', 'cli_daily', 'hello', 'manual__2026-02-03T00:00:00+00:00')).stdout.trim()).toBe('success');
    const tis = json<TiRow[]>(await cli('tasks', 'states-for-dag-run', 'cli_daily', '2026-02-03', '-o', 'json'));
    expect(tis.map((t) => [t.task_id, t.state, t.try_number])).toEqual([
      ['hello', 'success', 1],
      ['bye', 'success', 1],
    ]);
  });

  it('prints a task attempt log', async () => {
    const r = await cli('tasks', 'logs', 'cli_daily', 'manual__2026-02-03T00:00:00+00:00', 'hello');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('attempt=1.log');
    expect(r.stdout).toMatch(/Marking task as SUCCESS/i);
  });

  it('exits 1 with the summary when the run fails', async () => {
    const r = await cli('trigger', 'example_trigger_rules', '--wait');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/│ boom\s+│ failed/);
    expect(r.stderr).toMatch(/error: run (manual__\S+) of example_trigger_rules failed \(failed: boom\)\nhint: read the log: dagctl tasks logs example_trigger_rules manual__\S+ boom\n$/);
  });
});

describe('tasks clear, failed-deps', () => {
  const run3 = 'manual__2026-02-03T00:00:00+00:00';

  it('asks before clearing and refuses without a terminal unless -y', async () => {
    const r = await cli('tasks', 'clear', 'cli_daily', '-t', '^hello$', '--run-id', run3);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${run3}  hello  (success)`);
    expect(r.stderr).toMatch(/error: tasks clear needs confirmation.*\nhint: add -y/);
    const asked: string[] = [];
    const declined = await dagctl(home, ['tasks', 'clear', 'cli_daily', '-t', '^hello$', '--run-id', run3], {}, async (q) => {
      asked.push(q);
      return false;
    });
    expect(asked).toEqual(['Clear them?']);
    expect(declined.stderr).toContain('Nothing cleared.');
    expect((await cli('tasks', 'state', 'cli_daily', 'hello', run3)).stdout.trim()).toBe('success');
  });

  it('clears a task and its downstream tasks; failed-deps then explains why bye waits', async () => {
    const r = await cli('tasks', 'clear', 'cli_daily', '-t', '^hello$', '-d', '--run-id', run3, '-y', '-o', 'json');
    expect(r.code).toBe(0);
    expect(json<TiRow[]>(r).map((t) => t.task_id).sort()).toEqual(['bye', 'hello']);
    expect((await cli('tasks', 'state', 'cli_daily', 'bye', run3)).stdout.trim()).toBe('None');
    const deps = await cli('tasks', 'failed-deps', 'cli_daily', 'bye', run3);
    expect(deps.stdout).toMatch(/^Task instance dependencies not met:\n {2}- /);
    expect(deps.stdout).toMatch(/Trigger Rule: .*all_success.*1 not done/);
  });

  it('rejects a bad task regex before touching anything', async () => {
    const r = await cli('tasks', 'clear', 'cli_daily', '-t', '(', '-y');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --task-regex "\(" is not a valid regular expression\nhint: /);
  });
});

describe('dags test, tasks test, backfill', () => {
  it('dags test runs the DAG in this process and stores nothing in the home database', async () => {
    const before = json<RunRow[]>(await cli('runs', 'list', '-d', 'cli_daily', '-o', 'json')).length;
    const r = await cli('dags', 'test', 'cli_daily', '2026-03-01', '-c', '{"who": "test"}');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ hello\s+│ success[\s\S]*│ bye\s+│ success/);
    expect(json<RunRow[]>(await cli('runs', 'list', '-d', 'cli_daily', '-o', 'json'))).toHaveLength(before);
  });

  it('tasks test runs one task with params and prints its return value', async () => {
    const r = await cli('tasks', 'test', 'cli_daily', 'hello', '2026-03-01', '-t', '{"who": "you"}');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('state: success');
    expect(r.stdout).toContain('return_value: "hello you"');
  });

  it('backfills one run per day, inclusive, with run_type backfill', async () => {
    const r = await cli('dags', 'backfill', 'cli_daily', '-s', '2026-01-01', '-e', '2026-01-03', '-o', 'json');
    expect(r.code).toBe(0);
    const runs = json<RunRow[]>(r);
    expect(runs.map((x) => [x.logical_date.slice(0, 10), x.run_type, x.state])).toEqual([
      ['2026-01-01', 'backfill', 'success'],
      ['2026-01-02', 'backfill', 'success'],
      ['2026-01-03', 'backfill', 'success'],
    ]);
    expect(r.stderr).toMatch(/backfill__2026-01-02T00:00:00\+00:00 {2}hello {2}\S+ -> success/);
  });
});

describe('errors: one line and a hint, no stack trace unless --verbose', () => {
  it('unknown DAG', async () => {
    const r = await cli('trigger', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: DAG 'nope' not found\nhint: known DAG ids: .*cli_daily.*\n$/);
  });

  it('unknown task and run', async () => {
    const t = await cli('tasks', 'test', 'cli_daily', 'nope');
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/^error: task 'nope' not found in DAG 'cli_daily'\nhint: tasks of cli_daily: hello, bye\n$/);
    const r = await cli('tasks', 'states-for-dag-run', 'cli_daily', 'manual__nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: DAG run 'manual__nope' of DAG 'cli_daily' not found\nhint: list the runs with `dagctl runs list -d cli_daily`\n$/);
  });

  it('bad JSON conf and bad dates are usage errors (exit 2)', async () => {
    const conf = await cli('trigger', 'cli_daily', '-c', '{who: 1}');
    expect(conf.code).toBe(2);
    expect(conf.stderr).toMatch(/^error: --conf is not valid JSON \(.*\)\nhint: pass a JSON object, e.g. -c '\{"key": "value"\}'\n$/);
    const date = await cli('trigger', 'cli_daily', '-e', 'tomorrow');
    expect(date.code).toBe(2);
    expect(date.stderr).toMatch(/^error: invalid logical date \(-e\) "tomorrow"\nhint: use ISO 8601/);
    const swapped = await cli('dags', 'backfill', 'cli_daily', '-s', '2026-01-05', '-e', '2026-01-01');
    expect(swapped.stderr).toBe('error: the end date is before the start date\nhint: swap -s and -e\n');
  });

  it('bad flags are reported by commander with the usage hint', async () => {
    const r = await cli('runs', 'list', '--state', 'done');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: option '--state <state>' argument 'done' is invalid. Allowed choices are queued, running, success, failed/);
    const n = await cli('dags', 'next-execution', 'cli_daily', '-n', 'zero');
    expect(n.stderr).toContain('expected a whole number >= 1');
  });

  it('--verbose adds the stack', async () => {
    const r = await cli('trigger', 'nope', '--verbose');
    expect(r.stderr).toMatch(/^error: DAG 'nope' not found\nhint: .*\nDagNotFoundError: DAG 'nope' not found\n\s+at /);
  });
});

describe('db', () => {
  it('migrate creates the database, check reads it and reports the scheduler lock', async () => {
    const fresh = tempHome();
    try {
      const missing = await dagctl(fresh.home, ['db', 'check']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^error: no database at .*dagctl\.db\nhint: create it with `dagctl db migrate`/);
      const m = await dagctl(fresh.home, ['db', 'migrate']);
      expect(m.stdout).toMatch(/^created .*dagctl\.db: schema version \d+/);
      const again = await dagctl(fresh.home, ['db', 'migrate']);
      expect(again.stdout).toMatch(/^migrated /);
      const c = await dagctl(fresh.home, ['db', 'check']);
      expect(c.code).toBe(0);
      expect(c.stdout).toMatch(/^ok: .*dagctl\.db \(0 DAGs\)\nscheduler lock: free\n$/);
    } finally {
      fresh.cleanup();
    }
  });
});

describe('pools', () => {
  it('list, set, get and delete pools as Airflow does, with clear errors', async () => {
    const list = await cli('pools', 'list', '-o', 'json');
    expect(list.code).toBe(0);
    expect(json<Array<{ name: string; slots: number }>>(list)).toContainEqual(expect.objectContaining({ name: 'default_pool', slots: 128, occupied_slots: 0, open_slots: 128 }));
    const set = await cli('pools', 'set', 'gpu', '2', 'the one GPU box', '-o', 'json');
    expect(set.code).toBe(0);
    expect(json(set)).toEqual([{ name: 'gpu', slots: 2, occupied_slots: 0, open_slots: 2, description: 'the one GPU box' }]);
    expect(json(await cli('pools', 'set', 'gpu', '3', '-o', 'json'))).toEqual([expect.objectContaining({ slots: 3, description: 'the one GPU box' })]);
    expect((await cli('pools', 'get', 'gpu', '-o', 'plain')).stdout).toContain('gpu\t3\t0\t3\tthe one GPU box');
    const bad = await cli('pools', 'set', 'gpu', 'many');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a whole number of slots >= 0');
    const missing = await cli('pools', 'get', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("pool 'nope' does not exist");
    expect(missing.stderr).toContain('dagctl pools set nope N');
    const protectedPool = await cli('pools', 'delete', 'default_pool');
    expect(protectedPool.code).toBe(2);
    expect(protectedPool.stderr).toContain('default_pool cannot be deleted');
    expect((await cli('pools', 'delete', 'gpu')).stdout).toContain('deleted pool gpu');
    expect((await cli('pools', 'get', 'gpu')).code).toBe(1);
  });
});

describe('jobs check', () => {
  it("reports the alive schedulers from their heartbeat rows, as Airflow's `jobs check` (exit 1 when none or too many)", async () => {
    const fresh = tempHome();
    try {
      const none = await dagctl(fresh.home, ['jobs', 'check']);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/^error: No alive jobs found\.\nhint: there is no database at .*dagctl\.db yet: start one \(`dagctl scheduler`\)/);

      const store = openStore(fresh.home, new Date().toISOString());
      const now = new Date().toISOString();
      const scheduler = (id: string, host: string, pid: number, heartbeat = now) =>
        store.registerScheduler({ id, hostname: host, pid, executor: 'queue', started_at: now }, heartbeat);
      scheduler('here', hostname(), process.pid); // this process: alive by its pid
      scheduler('gone', hostname(), 2 ** 22 + 1); // killed on this host: no such pid
      scheduler('stale', 'other-host', 1, new Date(Date.now() - 60_000).toISOString());
      const one = await dagctl(fresh.home, ['jobs', 'check']);
      expect([one.code, one.stdout]).toEqual([0, 'Found one alive job.\n']);
      expect(one.stderr).toContain(`SchedulerJob here: pid ${process.pid} on ${hostname()}`);

      scheduler('there', 'other-host', 1);
      expect((await dagctl(fresh.home, ['jobs', 'check'])).stdout).toBe('Found one alive job.\n'); // --limit 1 looks at one, as Airflow
      const two = await dagctl(fresh.home, ['jobs', 'check', '--limit', '2']);
      expect(two.code).toBe(1);
      expect(two.stderr).toMatch(/^error: Found more than one alive job \(2\)\.\nhint: pass --allow-multiple/);
      expect((await dagctl(fresh.home, ['jobs', 'check', '--allow-multiple', '--limit', '5'])).stdout).toBe('Found 2 alive jobs.\n');
      expect((await dagctl(fresh.home, ['jobs', 'check', '--local', '--limit', '5'])).stdout).toBe('Found one alive job.\n');
      expect((await dagctl(fresh.home, ['jobs', 'check', '--allow-multiple'])).code).toBe(2);
      expect((await dagctl(fresh.home, ['jobs', 'check', '--hostname', 'other-host'])).code).toBe(0);
      expect((await dagctl(fresh.home, ['jobs', 'check', '--hostname', 'nowhere'])).code).toBe(1);
      // A shorter threshold makes a 20-second-old heartbeat stale.
      scheduler('there', 'other-host', 1, new Date(Date.now() - 20_000).toISOString());
      expect((await dagctl(fresh.home, ['jobs', 'check', '--allow-multiple', '--limit', '5'])).stdout).toBe('Found 2 alive jobs.\n');
      expect((await dagctl(fresh.home, ['jobs', 'check', '--allow-multiple', '--limit', '5'], { DAGCTL_SCHEDULER_HEALTH_CHECK_THRESHOLD: '15' })).stdout).toBe('Found one alive job.\n');
      store.close();

      const workers = await dagctl(fresh.home, ['jobs', 'check', '--job-type', 'WorkerJob']);
      expect(workers.code).toBe(1);
      expect(workers.stderr).toContain('start one (`dagctl worker`)');
      expect((await dagctl(fresh.home, ['jobs', 'check', '--local', '--hostname', 'x'])).code).toBe(2);
      const bad = await dagctl(fresh.home, ['jobs', 'check'], { DAGCTL_SCHEDULER_HEALTH_CHECK_THRESHOLD: '5' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('less than two scheduler heartbeats');
    } finally {
      fresh.cleanup();
    }
  });
});
