import { collectOuts, readChildren } from './collect.js';
import { selectRemote } from './config.js';
import { DvcError, MissingCacheError, RemoteUnreachableError, type FailedObject } from './errors.js';
import { isDirOid } from './manifest.js';
import { objectKey } from './objects.js';
import { mapPool } from './pool.js';
import { openRemote } from './remotes/open.js';
import { openRepo } from './repo.js';
import type { FetchOptions } from './fetch.js';
import type { Wanted } from './transfer.js';
import { getSummary, UP_TO_DATE } from './summary.js';

export interface PushResult {
  remote: string;
  /** File objects uploaded (`.dir` manifests not counted). */
  pushed: number;
  /** Objects the remote already had. */
  present: number;
  /** "N files pushed" or "Everything is up to date." */
  summary: string;
}

function settledOrThrow<T>(settled: Awaited<ReturnType<typeof mapPool<Wanted, T>>>): T[] {
  return settled.map((s) => {
    if (s.ok) return s.value;
    if (s.error instanceof DvcError) throw s.error;
    throw new DvcError('remote_error', `failed to push data to the cloud: ${(s.error as Error).message ?? String(s.error)}`, { cause: s.error });
  });
}

/**
 * `dvc push`: every object of the tracked outs that the remote lacks. File objects go first and
 * `.dir` manifests last, so a remote that has a manifest always has its files.
 */
export async function push(opts: FetchOptions): Promise<PushResult> {
  const repo = await openRepo(opts);
  const config = selectRemote(repo.config, opts.remote);
  const log = repo.logger.child({ dvc: 'push', remote: config.name });
  const outs = await collectOuts(repo, opts.targets);
  const objects: Wanted[] = [];
  const notCached: FailedObject[] = [];
  for (const t of outs) {
    if (!t.root) continue;
    if (!(await repo.cache.has(t.root))) {
      notCached.push({ oid: t.root.oid, path: t.rel, detail: 'not in the cache' });
      continue;
    }
    for (const c of await readChildren(repo, t)) {
      if (await repo.cache.has(c.object)) objects.push({ object: c.object, rel: c.rel });
      else notCached.push({ oid: c.object.oid, path: c.rel, detail: 'not in the cache' });
    }
    objects.push({ object: t.root, rel: t.rel });
  }
  if (notCached.length > 0) throw new MissingCacheError(notCached);
  const seen = new Set<string>();
  const unique = objects.filter((w) => !seen.has(objectKey(w.object)) && seen.add(objectKey(w.object)));
  const { remote, jobs } = await openRemote(config, { jobs: opts.jobs, mode: 'write', signal: opts.signal });
  const stopOn = (err: unknown): boolean => err instanceof RemoteUnreachableError || opts.signal?.aborted === true;
  const check = <T>(settled: Awaited<ReturnType<typeof mapPool<Wanted, T>>>): T[] => {
    opts.signal?.throwIfAborted();
    return settledOrThrow(settled);
  };
  try {
    const present = check(await mapPool(unique, jobs, (w) => remote.exists(objectKey(w.object)), stopOn));
    const todo = unique.filter((_, i) => !present[i]);
    const files = todo.filter((w) => !isDirOid(w.object.oid));
    const dirs = todo.filter((w) => isDirOid(w.object.oid));
    for (const batch of [files, dirs]) {
      check(await mapPool(batch, jobs, (w) => remote.upload(repo.cache.path(w.object), objectKey(w.object)), stopOn));
    }
    log.info({ pushed: files.length, manifests: dirs.length, present: unique.length - todo.length }, 'push done');
    return { remote: config.name, pushed: files.length, present: unique.length - todo.length, summary: getSummary([['pushed', files.length]]) || UP_TO_DATE };
  } finally {
    remote.close();
  }
}
