import { checkoutOuts, type Change } from './checkout.js';
import { collectOuts, readChildren } from './collect.js';
import { MissingCacheError, type FailedObject } from './errors.js';
import { fetchOuts, type FetchOptions } from './fetch.js';
import { defaultJobs } from './pool.js';
import { openRepo } from './repo.js';
import { withRepoLock } from './lock-file.js';
import { getSummary, UP_TO_DATE } from './summary.js';

export interface PullOptions extends FetchOptions {
  /** Replace workspace data that is not in the cache (DVC's `--force`). Default false. */
  force?: boolean;
}

export interface PullResult {
  remote: string;
  fetched: number;
  added: string[];
  modified: string[];
  deleted: string[];
  /** `A\tpath` / `M\tpath` / `D\tpath` lines, as `dvc pull` prints them. */
  lines: string[];
  /** "3 files fetched and 1 file added", or "Everything is up to date." */
  summary: string;
}

const LETTER = { added: 'A', modified: 'M', deleted: 'D' } as const;

export interface CheckoutResult {
  added: string[];
  modified: string[];
  deleted: string[];
  lines: string[];
  /** "1 file modified"; empty when nothing changed (dvc checkout prints nothing then). */
  summary: string;
}

function report(changes: readonly Change[], fetched: number): CheckoutResult {
  const pick = (kind: Change['kind']): string[] => changes.filter((c) => c.kind === kind).map((c) => c.path);
  const added = pick('added');
  const modified = pick('modified');
  const deleted = pick('deleted');
  const lines = (['modified', 'added', 'deleted'] as const).flatMap((kind) => pick(kind).map((p) => `${LETTER[kind]}\t${p}`));
  const summary = getSummary([
    ['fetched', fetched],
    ['added', added],
    ['deleted', deleted],
    ['modified', modified],
  ]);
  return { added, modified, deleted, lines, summary };
}

/**
 * `dvc pull` = fetch + checkout. Fetch downloads and verifies every object before the workspace is
 * touched, so a missing/corrupt object or a dead remote throws and leaves the old data in place.
 */
export async function pull(opts: PullOptions): Promise<PullResult> {
  const repo = await openRepo(opts);
  return withRepoLock(repo, async () => {
    const outs = await collectOuts(repo, opts.targets);
    const fetched = await fetchOuts(repo, outs, opts);
    const changes = await checkoutOuts(repo, outs, { force: opts.force ?? false, jobs: opts.jobs ?? defaultJobs(), signal: opts.signal });
    const r = report(changes, fetched.fetched);
    return { ...r, remote: fetched.remote, fetched: fetched.fetched, summary: r.summary || UP_TO_DATE };
  });
}

/** `dvc checkout`: the workspace from the cache only (no remote); refuses if an object is not cached. */
export async function checkout(opts: Omit<PullOptions, 'remote'>): Promise<CheckoutResult> {
  const repo = await openRepo(opts);
  return withRepoLock(repo, async () => {
    const outs = await collectOuts(repo, opts.targets);
    const missing: FailedObject[] = [];
    for (const t of outs) {
      if (!t.root) continue;
      if (!(await repo.cache.has(t.root))) missing.push({ oid: t.root.oid, path: t.rel, detail: 'not in the cache' });
      else for (const c of await readChildren(repo, t)) if (!(await repo.cache.has(c.object))) missing.push({ oid: c.object.oid, path: c.rel, detail: 'not in the cache' });
    }
    if (missing.length) throw new MissingCacheError(missing, 'checkout');
    return report(await checkoutOuts(repo, outs, { force: opts.force ?? false, jobs: opts.jobs ?? defaultJobs(), signal: opts.signal }), 0);
  });
}
