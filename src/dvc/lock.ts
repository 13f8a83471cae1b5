import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DvcError } from './errors.js';
import { dumpLock, orderStage, type LockEntry, type LockFile } from './lock-format.js';
import { measureStage, readLockFile, readPipeline, type HashMemo } from './pipeline.js';
import { defaultJobs } from './pool.js';
import { openRepo, relToRoot, type DvcOptions, type Repo } from './repo.js';
import { withRepoLock } from './lock-file.js';

export { dumpLock, orderStage, parseLock, type LockEntry, type LockFile, type LockStage } from './lock-format.js';

export interface CommitOptions extends DvcOptions {
  /** Only these stages are recomputed; the others keep their dvc.lock entries. Default: all. */
  stages?: readonly string[];
  jobs?: number;
}

export interface CommitResult {
  lockFile: string;
  /** Stages whose lock entry changed. */
  changed: string[];
}

/**
 * `dvc commit` for pipelines: hashes each stage's deps and outs as they are now, caches the outs
 * (unless `cache: false`) and rewrites dvc.lock, so the lock stays true without Python.
 */
export async function commit(opts: CommitOptions): Promise<CommitResult> {
  const repo = await openRepo(opts);
  return withRepoLock(repo, () => commitLocked(repo, opts));
}

async function commitLocked(repo: Repo, opts: CommitOptions): Promise<CommitResult> {
  const jobs = opts.jobs ?? defaultJobs();
  const stages = await readPipeline(repo);
  if (!stages) throw new DvcError('bad_pipeline', 'dvc.yaml does not exist', { hint: 'create dvc.yaml with a `stages:` map' });
  const old = (await readLockFile(repo)) ?? { schema: '2.0', stages: {} };
  const next: LockFile = { schema: '2.0', stages: {} };
  const changed: string[] = [];
  const memo: HashMemo = new Map();
  for (const [name, def] of Object.entries(stages)) {
    const previous = old.stages[name];
    if (opts.stages && !opts.stages.includes(name)) {
      if (previous) next.stages[name] = previous;
      continue;
    }
    const now = await measureStage(repo, name, def, { jobs, store: true, memo });
    const present = (list: Array<{ path: string; entry: LockEntry | undefined }>, what: string): LockEntry[] =>
      list.map(({ path: p, entry }) => {
        if (entry) return entry;
        throw new DvcError('bad_pipeline', `stage '${name}': ${what} '${p}' does not exist`, { hint: `run the stage first (its cmd) so '${p}' exists, then commit` });
      });
    for (const [file, values] of Object.entries(now.params)) {
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) throw new DvcError('bad_pipeline', `stage '${name}': parameter '${key}' is missing from ${file}`, { hint: `add ${key} to ${file} or remove it from dvc.yaml` });
      }
    }
    const stage = orderStage({ cmd: now.cmd, deps: present(now.deps, 'dependency'), params: now.params, outs: present(now.outs, 'output') });
    if (JSON.stringify(stage) !== JSON.stringify(previous && orderStage(previous))) changed.push(name);
    next.stages[name] = stage;
  }
  const lockFile = path.join(repo.root, 'dvc.lock');
  const tmp = `${lockFile}.${process.pid}.tmp`;
  await writeFile(tmp, dumpLock(next));
  await rename(tmp, lockFile);
  repo.logger.info({ dvc: 'commit', changed }, 'dvc.lock written');
  return { lockFile: relToRoot(repo, lockFile), changed };
}
