import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedOutcome } from '../../src/dags/examples/expected.js';
import { openEngine, type Engine } from '../../src/engine/service.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/dags/examples');
const files = readdirSync(EXAMPLES).filter((f) => /^example_.*\.ts$/.test(f)).sort();

let home: string;
let engine: Engine;

beforeAll(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'dagctl-examples-'));
  engine = await openEngine({ home, dagsFolders: [EXAMPLES], parallelism: 4, logger: pino({ level: 'warn' }) });
});

afterAll(async () => {
  await engine?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('example DAGs end in the states their files document', () => {
  it('ships the eight Airflow-style examples, all loading without import errors', () => {
    expect(files.map((f) => f.replace(/\.ts$/, ''))).toEqual([
      'example_bash_chain',
      'example_branch',
      'example_dynamic_task_mapping',
      'example_retries',
      'example_sensor',
      'example_timeout',
      'example_trigger_rules',
      'example_xcom',
    ]);
    expect(engine.importErrors()).toEqual([]);
  });

  for (const file of files) {
    const dagId = file.replace(/\.ts$/, '');
    it(`${dagId}: a manual run through worker processes`, async () => {
      const mod = (await import(pathToFileURL(path.join(EXAMPLES, file)).href)) as { expected: ExpectedOutcome };
      const want = mod.expected;
      const run = engine.triggerDagRun(dagId);
      const done = await engine.waitForRun(dagId, run.dag_run_id);
      const tis = engine.taskInstances(dagId, run.dag_run_id);
      expect(Object.fromEntries(tis.map((ti) => [ti.task_id, ti.state]))).toEqual(want.tasks);
      expect(done.state).toBe(want.run);
      for (const [taskId, tries] of Object.entries(want.tries ?? {})) {
        expect(tis.find((ti) => ti.task_id === taskId)?.try_number, `${taskId} try_number`).toBe(tries);
      }
      for (const [taskId, value] of Object.entries(want.xcom ?? {})) {
        expect(engine.xcom(dagId, run.dag_run_id, taskId), `${taskId} return_value`).toEqual(value);
      }
    });
  }
});
