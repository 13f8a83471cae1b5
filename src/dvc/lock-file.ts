import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DvcError } from './errors.js';
import type { Repo } from './repo.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * DVC's repo lock (`.dvc/tmp/lock`): one writer at a time, so a scheduled pull and a user's
 * `dagctl dvc add` never interleave their swaps. A lock whose process is gone is taken over.
 * Like DVC, waits a few seconds for a busy lock and then gives up.
 */
export async function withRepoLock<T>(repo: Repo, fn: () => Promise<T>, waitMs = 3000): Promise<T> {
  const file = path.join(repo.dvcDir, 'tmp', 'lock');
  await mkdir(path.dirname(file), { recursive: true });
  const deadline = performance.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        repo.logger.warn({ pid: holder }, 'taking over the lock of a process that is gone');
        await rm(file, { force: true });
        continue;
      }
      if (performance.now() >= deadline) {
        throw new DvcError('locked', `Unable to acquire lock: another DVC process (pid ${Number.isNaN(holder) ? '?' : holder}) is working in this repository`, {
          hint: `wait for it to finish; if no such process runs, delete ${path.relative(repo.root, file)}`,
        });
      }
      await delay(100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
