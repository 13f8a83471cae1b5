// The generic operators, each run as a real attempt (runAttempt: context, log file, XCom, skips).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAG, type BaseOperator } from '../../src/engine/index.js';
import { runAttempt } from '../../src/engine/executor/attempt.js';
import type { AttemptResult } from '../../src/engine/executor/types.js';
import { BashOperator } from '../../src/operators/bash.js';
import { BranchOperator } from '../../src/operators/branch.js';
import { EmptyOperator } from '../../src/operators/empty.js';
import { FunctionOperator } from '../../src/operators/function.js';
import { FunctionSensor } from '../../src/operators/sensor.js';
import { ShortCircuitOperator } from '../../src/operators/short-circuit.js';
import { cleanup, tempDir } from '../engine/helpers.js';

afterEach(cleanup);

async function attempt(dag: DAG, task: BaseOperator, o: { signal?: AbortSignal; tryNumber?: number; xcom?: Record<string, unknown> } = {}): Promise<{ r: AttemptResult; log: string }> {
  const home = tempDir();
  const logFile = path.join(home, 'attempt.log');
  const r = await runAttempt(
    {
      dagId: dag.dagId, runId: 'manual__2026-01-01T00:00:00+00:00', taskId: task.taskId, mapIndex: -1, tryNumber: o.tryNumber ?? 1, maxTries: 0,
      fileloc: '', logicalDate: '2026-01-01T00:00:00.000Z', dataIntervalStart: '2026-01-01T00:00:00.000Z', dataIntervalEnd: '2026-01-02T00:00:00.000Z',
      conf: {}, runType: 'manual', home, database: '', logFile, executionTimeout: undefined,
    },
    dag,
    { signal: o.signal ?? new AbortController().signal, readXcom: (t) => (o.xcom?.[t] as never) ?? undefined, readMappedXcoms: () => [] },
  );
  // A quick, quiet success writes no log file (the engine creates it lazily).
  return { r, log: existsSync(logFile) ? readFileSync(logFile, 'utf8') : '' };
}
const newDag = () => new DAG({ dagId: 'ops', schedule: null });

describe('BashOperator', () => {
  it('logs stdout/stderr lines, returns the last stdout line, and passes env and cwd', async () => {
    const dag = newDag();
    const cwd = tempDir();
    const t = dag.add(new BashOperator({ taskId: 'b', bashCommand: 'echo "$GREETING from $(pwd)"; echo oops >&2; echo "$AIRFLOW_CTX_TASK_ID"', env: { GREETING: 'hi' }, appendEnv: true, cwd }));
    const { r, log } = await attempt(dag, t);
    expect(r.outcome).toBe('success');
    expect(r.xcoms).toEqual([{ key: 'return_value', value: 'b' }]);
    expect(log).toContain(`INFO - hi from ${cwd}`);
    expect(log).toContain('WARNING - oops');
  });
  it('replaces the environment when env is given without appendEnv (as Airflow)', async () => {
    process.env.DAGCTL_TEST_SECRET = 'leak';
    const dag = newDag();
    const t = dag.add(new BashOperator({ taskId: 'b', bashCommand: 'echo "[${DAGCTL_TEST_SECRET:-unset}] $ONLY"', env: { ONLY: 'me' } }));
    expect((await attempt(dag, t)).r.xcoms[0]!.value).toBe('[unset] me');
  });
  it('fails on a non-zero exit with the code and the last lines', async () => {
    const dag = newDag();
    const t = dag.add(new BashOperator({ taskId: 'b', bashCommand: 'echo step1; echo broken >&2; exit 3' }));
    const { r } = await attempt(dag, t);
    expect(r.outcome).toBe('failed');
    expect(r.error!.message).toContain('non-zero exit code 3');
    expect(r.error!.message).toContain('step1\nbroken');
  });
  it('skips on exit code 99', async () => {
    const dag = newDag();
    const t = dag.add(new BashOperator({ taskId: 'b', bashCommand: 'exit 99' }));
    expect((await attempt(dag, t)).r.outcome).toBe('skipped');
  });
  it('kills the command when the attempt is aborted', async () => {
    const dag = newDag();
    const t = dag.add(new BashOperator({ taskId: 'b', bashCommand: 'sleep 30' }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by test')), 100);
    const started = Date.now();
    const { r } = await attempt(dag, t, { signal: ac.signal });
    expect(r.outcome).toBe('failed');
    expect(r.error!.message).toBe('cancelled by test');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('FunctionOperator and EmptyOperator', () => {
  it('stores the return value as XCom, pushes and pulls by task object', async () => {
    const dag = newDag();
    const up = dag.add(new FunctionOperator({ taskId: 'up', fn: () => ({ n: 1 }) }));
    const t = dag.add(new FunctionOperator({ taskId: 'f', fn: (ctx) => { ctx.xcomPush('extra', [1, 2]); return (ctx.xcomPull(up)?.n ?? 0) + ctx.tryNumber; } }));
    up.then(t);
    const { r } = await attempt(dag, t, { tryNumber: 2, xcom: { up: { n: 40 } } });
    expect(r.xcoms).toEqual([{ key: 'extra', value: [1, 2] }, { key: 'return_value', value: 42 }]);
  });
  it('stores nothing for a void function, and fails on a non-JSON XCom push', async () => {
    const dag = newDag();
    const v = dag.add(new FunctionOperator({ taskId: 'v', fn: () => {} }));
    expect((await attempt(dag, v)).r).toMatchObject({ outcome: 'success', xcoms: [] });
    const bad = dag.add(new FunctionOperator({ taskId: 'bad', fn: (ctx) => ctx.xcomPush('m', new Map() as never) }));
    const { r } = await attempt(dag, bad);
    expect(r.error!.message).toMatch(/XCom 'm' pushed by task 'bad' \(a Map instance\) is not JSON-serialisable/);
    expect((await attempt(dag, dag.add(new EmptyOperator({ taskId: 'e' })))).r).toMatchObject({ outcome: 'success', xcoms: [] });
  });
});

describe('BranchOperator and ShortCircuitOperator', () => {
  it('follows the returned branch and skips the other direct downstream tasks', async () => {
    const dag = newDag();
    const a = dag.add(new EmptyOperator({ taskId: 'a' }));
    const b = dag.add(new EmptyOperator({ taskId: 'b' }));
    const pick = dag.add(new BranchOperator({ taskId: 'pick', fn: () => 'b' }));
    pick.then([a, b]);
    const { r } = await attempt(dag, pick);
    expect(r).toMatchObject({ outcome: 'success', skip: ['a'], xcoms: [{ key: 'return_value', value: ['b'] }] });
  });
  it('fails without retry when the branch is not a direct downstream task', async () => {
    const dag = newDag();
    const pick = dag.add(new BranchOperator({ taskId: 'pick', fn: () => 'nowhere' }));
    pick.then(dag.add(new EmptyOperator({ taskId: 'a' })));
    const { r } = await attempt(dag, pick);
    expect(r.error).toMatchObject({ nonRetryable: true });
    expect(r.error!.message).toContain("returned 'nowhere', which is not directly downstream");
  });
  it('skips everything downstream on a falsy result, nothing on a truthy one', async () => {
    const dag = newDag();
    const sc = dag.add(new ShortCircuitOperator({ taskId: 'sc', fn: (ctx) => ctx.tryNumber > 1 }));
    const x = dag.add(new EmptyOperator({ taskId: 'x' }));
    sc.then(x).then(dag.add(new EmptyOperator({ taskId: 'y' })));
    expect((await attempt(dag, sc)).r.skip.sort()).toEqual(['x', 'y']);
    expect((await attempt(dag, sc, { tryNumber: 2 })).r).toMatchObject({ skip: [], xcoms: [{ key: 'return_value', value: true }] });
  });
});

describe('BaseSensor (poke mode)', () => {
  it('pokes until the condition holds and returns its xcom value', async () => {
    let n = 0;
    const dag = newDag();
    const s = dag.add(new FunctionSensor({ taskId: 's', pokeInterval: 0.01, fn: () => (++n >= 3 ? { isDone: true, xcomValue: n } : false) }));
    const { r, log } = await attempt(dag, s);
    expect(r).toMatchObject({ outcome: 'success', xcoms: [{ key: 'return_value', value: 3 }] });
    expect(log).toContain('Success criteria met after 3 poke(s)');
  });
  it('fails without retry on timeout, or is skipped with softFail', async () => {
    const dag = newDag();
    const hard = dag.add(new FunctionSensor({ taskId: 'hard', pokeInterval: 0.01, timeout: 0.05, fn: () => false }));
    const soft = dag.add(new FunctionSensor({ taskId: 'soft', pokeInterval: 0.01, timeout: 0.05, softFail: true, fn: () => false }));
    const h = (await attempt(dag, hard)).r;
    expect(h).toMatchObject({ outcome: 'failed', error: { nonRetryable: true } });
    expect(h.error!.message).toMatch(/Sensor has timed out/);
    expect((await attempt(dag, soft)).r.outcome).toBe('skipped');
  });
});
