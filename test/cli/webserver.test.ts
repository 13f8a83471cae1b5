// `dagctl webserver` as a user runs it (bin/dagctl.js, its own process): --dev makes airflow/airflow and
// says so loudly; the API answers with it; a run triggered over the API is driven to the end by the server
// (no scheduler is alive); SIGTERM stops it cleanly.
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { examplesOnlyHome, REPO } from './harness.js';

let env: () => Record<string, string>;
let cleanup: () => void;
beforeAll(() => {
  ({ env, cleanup } = examplesOnlyHome());
});
afterAll(() => cleanup());

test('webserver --dev: creates airflow/airflow with a warning, serves the API, drives a triggered run, stops on SIGTERM', async () => {
  const child = execa('node', [path.join(REPO, 'bin/dagctl.js'), 'webserver', '--dev', '--port', '0'], {
    cwd: REPO, env: env(), reject: false, forceKillAfterDelay: false,
  });
  let stderr = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (b: Buffer) => {
        stderr += b.toString();
        const m = /webserver: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`webserver exited early:\n${stderr}`)));
    });
    expect(stderr).toMatch(/WARN.*created the user airflow with password airflow and role Admin/);
    const auth = { authorization: `Basic ${Buffer.from('airflow:airflow').toString('base64')}`, 'content-type': 'application/json' };
    const run = (await (await fetch(`${url}/api/v1/dags/example_xcom/dagRuns`, { method: 'POST', headers: auth, body: '{"conf": {"n": 2}}' })).json()) as { dag_run_id: string };
    const state = await vi.waitFor(
      async () => {
        const r = (await (await fetch(`${url}/api/v1/dags/example_xcom/dagRuns/${encodeURIComponent(run.dag_run_id)}`, { headers: auth })).json()) as { state: string };
        if (r.state !== 'success' && r.state !== 'failed') throw new Error(`still ${r.state}`);
        return r.state;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(state).toBe('success');
  } finally {
    child.kill('SIGTERM');
  }
  const r = await child;
  expect(r.exitCode).toBe(0);
  expect(r.stderr).toContain('webserver: stopped (SIGTERM)');
});
