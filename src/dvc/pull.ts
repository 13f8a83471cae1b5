import { checkoutOuts, type Change } from './checkout.js';
import { collectOuts } from './collect.js';
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

/**
 * `dvc pull` = fetch + checkout. Fetch downloads and verifies every object before the workspace is
 * touched, so a missing/corrupt object or a dead remote throws and leaves the old data in place.
 */
export async function pull(opts: PullOptions): Promise<PullResult> {
  const repo = await openRepo(opts);
  const { fetched, changes } = await withRepoLock(repo, async () => {
    const outs = await collectOuts(repo, opts.targets);
    const fetched = await fetchOuts(repo, outs, opts);
    const changes: Change[] = await checkoutOuts(repo, outs, { force: opts.force ?? false, jobs: opts.jobs ?? defaultJobs(), signal: opts.signal });
    return { fetched, changes };
  });
  const pick = (kind: Change['kind']): string[] => changes.filter((c) => c.kind === kind).map((c) => c.path);
  const added = pick('added');
  const modified = pick('modified');
  const deleted = pick('deleted');
  const lines = (['modified', 'added', 'deleted'] as const).flatMap((kind) => pick(kind).map((p) => `${LETTER[kind]}\t${p}`));
  const summary =
    getSummary([
      ['fetched', fetched.fetched],
      ['added', added],
      ['deleted', deleted],
      ['modified', modified],
    ]) || UP_TO_DATE;
  return { remote: fetched.remote, fetched: fetched.fetched, added, modified, deleted, lines, summary };
}
