import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../src/dvc/index.js';
import { withRepoLock } from '../../src/dvc/lock-file.js';
import { exists, openRepo } from '../../src/dvc/repo.js';
import { logger, tempRepo, type TempRepo } from './helpers.js';

let repo: TempRepo;
const lockFile = (): string => path.join(repo.root, '.dvc', 'tmp', 'lock');
beforeEach(async () => {
  repo = await tempRepo();
  await mkdir(path.dirname(lockFile()), { recursive: true });
});
afterEach(() => repo.cleanup());

describe('repo lock (.dvc/tmp/lock)', () => {
  it('refuses to work while a live process holds the lock', async () => {
    await writeFile(lockFile(), `${process.ppid}\n`);
    const r = await openRepo({ repoRoot: repo.root, logger });
    await expect(withRepoLock(r, async () => 'ran', 0)).rejects.toMatchObject({ code: 'locked', hint: expect.stringContaining('.dvc/tmp/lock') });
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.ppid}\n`);
  });

  it('takes over the lock of a process that is gone, and releases it afterwards', async () => {
    const child = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(lockFile(), `${child.stdout}\n`);
    expect((await add('data/xray', { repoRoot: repo.root, logger })).nfiles).toBe(3);
    expect(await exists(lockFile())).toBe(false);
  });
});
