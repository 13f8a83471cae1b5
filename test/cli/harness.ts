import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { exitCodeOf, formatError } from '../../src/cli/errors.js';
import { buildProgram } from '../../src/cli/program.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURE_DAGS = path.join(REPO, 'test/fixtures/cli/dags');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A DAGCTL_HOME in a temp dir, removed by `cleanup`. */
export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'dagctl-cli-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** A temp home and an empty DAGs folder (only the shipped examples load), both removed by `cleanup`; `env` for a child dagctl. */
export function examplesOnlyHome(): { home: string; dags: string; env: () => Record<string, string>; cleanup: () => void } {
  const t = tempHome();
  const dags = mkdtempSync(path.join(os.tmpdir(), 'dagctl-empty-dags-'));
  return {
    home: t.home,
    dags,
    env: () => ({ DAGCTL_HOME: t.home, DAGCTL_DAGS_FOLDER: dags, DAGCTL_PARALLELISM: '2' }),
    cleanup: () => {
      t.cleanup();
      rmSync(dags, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `dagctl <args>` in this process the way src/cli/main.ts does (same error formatting and exit
 * codes), with stdout/stderr captured. Environment: the given home, the CLI fixture DAGs + examples.
 */
export async function dagctl(home: string, args: string[], extraEnv: Record<string, string> = {}, confirm?: (q: string) => Promise<boolean>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const env = { PATH: process.env.PATH, DAGCTL_HOME: home, DAGCTL_DAGS_FOLDER: FIXTURE_DAGS, DAGCTL_PARALLELISM: '2', DAGCTL_LOG_LEVEL: 'error', ...extraEnv };
  const program = buildProgram({
    env,
    cwd: REPO,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    interactive: false,
    confirm,
  });
  let code = 0;
  try {
    await program.parseAsync(['node', 'dagctl', ...args]);
  } catch (err) {
    code = exitCodeOf(err);
    if (!(err instanceof CommanderError)) stderr += `${formatError(err, args.includes('--verbose'))}\n`;
  }
  return { code, stdout, stderr };
}

/** Parses the JSON a command printed with `-o json`. */
export function json<T = unknown>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}
