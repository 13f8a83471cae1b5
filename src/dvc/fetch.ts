import { collectOuts, readChildren, type TrackedOut } from './collect.js';
import { selectRemote } from './config.js';
import { openRemote } from './remotes/open.js';
import { openRepo, type DvcOptions, type Repo } from './repo.js';
import { withRepoLock } from './lock-file.js';
import { downloadAll, type Wanted } from './transfer.js';

export interface FetchOptions extends DvcOptions {
  /** Remote name (`-r`); default `core.remote`. */
  remote?: string;
  /** .dvc files or tracked paths, relative to the repo root; default every .dvc file. */
  targets?: readonly string[];
  /** Parallel transfers; default the remote's `jobs` or 4 x CPUs (max 32). */
  jobs?: number;
  /** Stops transfers (and, for pull, the checkout before it swaps anything in). */
  signal?: AbortSignal;
}

export interface FetchResult {
  remote: string;
  /** File objects downloaded (not counting `.dir` manifests), as DVC counts "N files fetched". */
  fetched: number;
  /** Objects already in the cache. */
  cached: number;
}

function unique(wanted: Wanted[]): Wanted[] {
  const seen = new Set<string>();
  return wanted.filter((w) => {
    const key = `${w.object.legacy ? 'l' : ''}${w.object.oid}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function partition(repo: Repo, wanted: Wanted[]): Promise<{ missing: Wanted[]; cached: number }> {
  const missing: Wanted[] = [];
  let cached = 0;
  for (const w of unique(wanted)) {
    if (await repo.cache.has(w.object)) cached++;
    else missing.push(w);
  }
  return { missing, cached };
}

/**
 * `dvc fetch`: every object the outs need, into the cache, each md5-verified. `.dir` manifests come
 * first (they name the files). Nothing in the workspace changes.
 */
export async function fetchOuts(repo: Repo, outs: readonly TrackedOut[], opts: Omit<FetchOptions, keyof DvcOptions>): Promise<FetchResult> {
  const roots = outs.flatMap((t) => (t.root ? [{ object: t.root, rel: t.rel }] : []));
  const rootsMissing = await partition(repo, roots);
  const childrenOf = async (): Promise<Wanted[]> => (await Promise.all(outs.map((t) => readChildren(repo, t)))).flat().map((c) => ({ object: c.object, rel: c.rel }));
  // Everything local already: no need to touch, reach or even configure a remote.
  if (rootsMissing.missing.length === 0) {
    const children = await partition(repo, await childrenOf());
    if (children.missing.length === 0) return { remote: opts.remote ?? repo.config.defaultRemote ?? '', fetched: 0, cached: rootsMissing.cached + children.cached };
  }
  const config = selectRemote(repo.config, opts.remote);
  const log = repo.logger.child({ dvc: 'fetch', remote: config.name });
  const { remote, jobs } = await openRemote(config, { jobs: opts.jobs, mode: 'read', signal: opts.signal });
  try {
    await downloadAll(repo.cache, remote, rootsMissing.missing, jobs, log, opts.signal);
    const children = await partition(repo, await childrenOf());
    const fetched = await downloadAll(repo.cache, remote, children.missing, jobs, log, opts.signal);
    log.info({ fetched, cached: children.cached }, 'fetch done');
    return { remote: config.name, fetched: fetched + rootsMissing.missing.filter((w) => !w.object.oid.endsWith('.dir')).length, cached: rootsMissing.cached + children.cached };
  } finally {
    remote.close();
  }
}

export async function fetch(opts: FetchOptions): Promise<FetchResult> {
  const repo = await openRepo(opts);
  return withRepoLock(repo, async () => fetchOuts(repo, await collectOuts(repo, opts.targets), opts));
}
