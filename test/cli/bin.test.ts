import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dagctl, examplesOnlyHome, FIXTURE_DAGS, REPO, tempHome } from './harness.js';

// The real executable, as a user runs it: node + tsx, its own process, real exit codes.
let home: string;
let dags: string;
let env: () => Record<string, string>;
let cleanup: () => void;

beforeAll(() => {
  ({ home, dags, env, cleanup } = examplesOnlyHome());
});
afterAll(() => cleanup());
const bin = (args: string[]) => execa('node', [path.join(REPO, 'bin/dagctl.js'), ...args], { cwd: REPO, env: env(), reject: false });

describe('bin/dagctl.js', () => {
  it('trigger example_bash_chain --wait runs the whole DAG on a fresh home and exits 0', async () => {
    const r = await bin(['trigger', 'example_bash_chain', '--wait']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const t of ['a', 'b', 'c']) expect(r.stdout).toMatch(new RegExp(`│ ${t}\\s+│ success\\s+│ 1`));
    expect(r.stdout).toMatch(/run manual__\S+ of example_bash_chain: success in /);
    expect(r.stderr).toMatch(/c\s+running -> success {2}try 1/);
  });

  it('a bad conf exits 2 with a one-line error and a hint, no stack trace', async () => {
    const r = await bin(['trigger', 'example_bash_chain', '-c', 'not json']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: --conf is not valid JSON \([^\n]*\)\nhint: pass a JSON object, e.g. -c '\{"key": "value"\}'$/);
  });

  it('Ctrl-C while following a run exits 130 and says how the run gets finished', async () => {
    const child = execa('node', [path.join(REPO, 'bin/dagctl.js'), 'trigger', 'cli_slow', '--wait'], {
      cwd: REPO,
      env: { ...env(), DAGCTL_DAGS_FOLDER: FIXTURE_DAGS, DAGCTL_LOG_LEVEL: 'error' },
      reject: false,
      forceKillAfterDelay: false,
    });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr?.on('data', (b: Buffer) => {
        seen += b.toString();
        if (/nap\s+queued -> running/.test(seen)) resolve();
      });
      child.once('exit', () => reject(new Error(`exited before the task started:\n${seen}`)));
    });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toMatch(/│ nap\s+│ running/);
    expect(r.stderr).toMatch(/error: stopped following manual__\S+ of cli_slow; the run is still running\nhint: start `dagctl scheduler` to finish it/);
  });

  it('with a scheduler alive, trigger --wait only watches; a second scheduler is refused; SIGTERM stops it cleanly', async () => {
    const child = execa('node', [path.join(REPO, 'bin/dagctl.js'), 'scheduler'], { cwd: REPO, env: env(), reject: false, forceKillAfterDelay: false });
    try {
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        child.stderr?.on('data', (b: Buffer) => {
          seen += b.toString();
          if (seen.includes('scheduler: pid')) resolve();
        });
        child.once('exit', () => reject(new Error(`scheduler exited early:\n${seen}`)));
      });
      const watched = await dagctl(home, ['trigger', 'example_xcom', '--wait'], { DAGCTL_DAGS_FOLDER: dags });
      expect(watched.code, watched.stderr).toBe(0);
      expect(watched.stderr).not.toContain('no scheduler is running');
      expect(watched.stdout).toMatch(/│ summarize\s+│ success/);
      const second = await dagctl(home, ['scheduler', '--once'], { DAGCTL_DAGS_FOLDER: dags });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/^error: another scheduler \(pid \d+ .*owns this database\nhint: only one scheduler may own a SQLite database/m);
    } finally {
      child.kill('SIGTERM');
    }
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('scheduler: stopped (SIGTERM)');
    expect(r.stderr).toMatch(/example_xcom {2}manual__\S+ {2}summarize -> success/);
    expect((await dagctl(home, ['db', 'check'], { DAGCTL_DAGS_FOLDER: dags })).stdout).toContain('scheduler lock: free');
  });
});

describe('DAGCTL_LOAD_EXAMPLES', () => {
  it('false leaves the examples out of the DAG bag', async () => {
    const t = tempHome();
    try {
      const on = await dagctl(t.home, ['dags', 'list', '-o', 'plain']);
      expect(on.stdout).toContain('example_bash_chain');
      const off = await dagctl(t.home, ['dags', 'list', '-o', 'plain'], { DAGCTL_LOAD_EXAMPLES: 'false' });
      expect(off.stdout).toContain('cli_daily');
      expect(off.stdout).not.toContain('example_');
    } finally {
      t.cleanup();
    }
  });
});
