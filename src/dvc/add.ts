import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { digestFile } from './cache.js';
import { readDvcFile, writeDvcFile, type DvcFile, type DvcOut } from './dvcfile.js';
import { DvcError } from './errors.js';
import { ignoreInGit } from './gitignore.js';
import { dirOid, manifestBytes, type DirEntry } from './manifest.js';
import { defaultJobs, mapPool } from './pool.js';
import { exists, openRepo, relToRoot, type DvcOptions, type Repo } from './repo.js';
import { listFiles, pathKind } from './walk.js';
import { withRepoLock } from './lock-file.js';

export interface AddResult {
  /** Repo-relative path of the written .dvc file. */
  dvcFile: string;
  /** Repo-relative path of the tracked data. */
  path: string;
  /** The out's md5 (`….dir` for folders): the data version. */
  md5: string;
  size: number;
  /** Number of files, for folders. */
  nfiles: number | undefined;
  /** Repo-relative .gitignore that got a new line, if any. */
  gitignore: string | undefined;
}

/** Hashes a file or folder the DVC 3 way; with `store`, every object (and the `.dir` manifest) goes into the cache. */
export async function hashAndCache(repo: Repo, abs: string, jobs = defaultJobs(), store = true): Promise<{ md5: string; size: number; nfiles?: number }> {
  const kind = await pathKind(abs);
  if (kind === 'missing') throw new DvcError('target_missing', `'${relToRoot(repo, abs)}' does not exist`, { hint: 'check the path' });
  if (kind === 'file') {
    const md5 = await digestFile(abs, false);
    if (store) await repo.cache.putFile(abs, { oid: md5, legacy: false });
    return { md5, size: (await stat(abs)).size };
  }
  const relpaths = await listFiles(abs);
  const settled = await mapPool(relpaths, jobs, async (relpath): Promise<DirEntry & { size: number }> => {
    const file = path.join(abs, ...relpath.split('/'));
    const md5 = await digestFile(file, false);
    if (store) await repo.cache.putFile(file, { oid: md5, legacy: false });
    return { relpath, md5, size: (await stat(file)).size };
  });
  const entries = settled.map((s) => {
    if (!s.ok) throw s.error;
    return s.value;
  });
  const bytes = manifestBytes(entries);
  const md5 = dirOid(bytes);
  if (store) await repo.cache.putBytes(bytes, { oid: md5, legacy: false });
  return { md5, size: entries.reduce((sum, e) => sum + e.size, 0), nfiles: entries.length };
}

/**
 * `dvc add <target>`: cache the data, write `<target>.dvc` (keeping fields such as `desc` from an
 * existing one) and ignore the data in git.
 */
export async function add(target: string, opts: DvcOptions & { jobs?: number }): Promise<AddResult> {
  const repo = await openRepo(opts);
  const abs = path.resolve(repo.root, target).replace(/[\\/]+$/, '');
  const rel = relToRoot(repo, abs);
  if (rel.startsWith('..') || rel === '' || rel === '.dvc' || rel.startsWith('.dvc/') || rel.startsWith('.git')) {
    throw new DvcError('target_missing', `'${target}' is outside the repository or inside .dvc/.git`, { hint: 'add data that lives inside the repository' });
  }
  return withRepoLock(repo, () => addLocked(repo, abs, rel, opts.jobs));
}

async function addLocked(repo: Repo, abs: string, rel: string, jobs: number | undefined): Promise<AddResult> {
  const log = repo.logger.child({ dvc: 'add', target: rel });
  await warnAboutDvcignore(repo, log);
  const started = performance.now();
  const { md5, size, nfiles } = await hashAndCache(repo, abs, jobs);
  const file = `${abs}.dvc`;
  const previous: DvcFile | undefined = (await exists(file)) ? await readDvcFile(file) : undefined;
  const old = previous?.outs[0];
  const out: DvcOut = { ...(old ?? {}), md5, size, nfiles, hash: 'md5', path: path.basename(abs) };
  if (nfiles === undefined) delete out.nfiles;
  delete out.isexec;
  await writeDvcFile({ file, outs: [out], rest: previous?.rest ?? {} });
  const gitignore = repo.config.noScm ? undefined : await ignoreInGit(abs);
  log.info({ md5, size, nfiles, ms: Math.round(performance.now() - started) }, 'added');
  return { dvcFile: relToRoot(repo, file), path: rel, md5, size, nfiles, gitignore: gitignore && relToRoot(repo, gitignore) };
}

// .dvcignore patterns are not implemented; say so rather than silently hashing files DVC would skip.
async function warnAboutDvcignore(repo: Repo, log: Repo['logger']): Promise<void> {
  const text = await readFile(path.join(repo.root, '.dvcignore'), 'utf8').catch(() => '');
  const patterns = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (patterns.length) log.warn({ patterns }, '.dvcignore patterns are not applied by the built-in DVC client; hashes may differ from DVC\'s');
}
