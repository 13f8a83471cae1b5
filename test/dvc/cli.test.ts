import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeOf, formatError } from '../../src/cli/errors.js';
import { buildProgram } from '../../src/cli/program.js';
import { tempRepo, type TempRepo } from './helpers.js';

async function dagctl(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const program = buildProgram({ env: { DAGCTL_LOG_LEVEL: 'silent' }, cwd, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), interactive: false });
  try {
    await program.parseAsync(['node', 'dagctl', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: exitCodeOf(err), stdout, stderr: stderr + formatError(err, false) };
  }
}

let repo: TempRepo;
beforeEach(async () => {
  repo = await tempRepo();
});
afterEach(() => repo.cleanup());

describe('dagctl dvc', () => {
  it('adds, pushes, reports status and pulls with DVC-style output', async () => {
    const added = await dagctl(path.join(repo.root, 'data'), 'dvc', 'add', 'xray');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('\tgit add data/xray.dvc data/.gitignore');
    expect((await dagctl(repo.root, 'dvc', 'status')).stdout).toBe('Data and pipelines are up to date.\n');
    const cloud = await dagctl(repo.root, 'dvc', 'status', '-c', '--json');
    expect(Object.values(JSON.parse(cloud.stdout) as Record<string, string>)).toEqual(['new', 'new', 'new', 'new']);
    expect((await dagctl(repo.root, 'dvc', 'push', '-r', 'store')).stdout).toBe('3 files pushed\n');
    await rm(path.join(repo.root, 'data', 'xray'), { recursive: true });
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    const pulled = await dagctl(repo.root, 'dvc', 'pull');
    expect(pulled).toMatchObject({ code: 0, stdout: 'A\tdata/xray/\n3 files fetched and 1 file added\n' });
    expect((await dagctl(repo.root, 'dvc', 'pull')).stdout).toBe('Everything is up to date.\n');
  });

  it('exits 253 outside a DVC repository, with a hint', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'not-dvc-'));
    try {
      const r = await dagctl(dir, 'dvc', 'status');
      expect(r.code).toBe(253);
      expect(r.stderr).toMatch(/error: you are not inside of a DVC repository[\s\S]*hint: run `dagctl dvc init`/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with the missing object named when the remote lacks data', async () => {
    await dagctl(repo.root, 'dvc', 'add', 'data/xray');
    await dagctl(repo.root, 'dvc', 'push');
    await rm(repo.remoteDir, { recursive: true });
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    const r = await dagctl(repo.root, 'dvc', 'pull');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("remote 'store'");
  });
});
