import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { LocalCache } from './cache.js';
import { loadConfig, type DvcConfig } from './config.js';
import { NotADvcRepoError } from './errors.js';

/** What every library function takes. */
export interface DvcOptions {
  /** Folder holding `.dvc/` (the repository root). */
  repoRoot: string;
  logger: Logger;
}

export interface Repo {
  root: string;
  dvcDir: string;
  config: DvcConfig;
  cache: LocalCache;
  logger: Logger;
}

async function isDvcRoot(dir: string): Promise<boolean> {
  try {
    return (await stat(path.join(dir, '.dvc'))).isDirectory();
  } catch {
    return false;
  }
}

/** Walks up from `start` to the first folder with a `.dvc/` (what `dvc` does from any subfolder). */
export async function findRepoRoot(start: string): Promise<string> {
  let dir = path.resolve(start);
  for (;;) {
    if (await isDvcRoot(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new NotADvcRepoError(start);
    dir = parent;
  }
}

export async function openRepo(opts: DvcOptions): Promise<Repo> {
  const root = path.resolve(opts.repoRoot);
  if (!(await isDvcRoot(root))) throw new NotADvcRepoError(root);
  const dvcDir = path.join(root, '.dvc');
  const config = await loadConfig(dvcDir);
  return { root, dvcDir, config, cache: new LocalCache(config.cacheDir), logger: opts.logger };
}

/** POSIX path relative to the repo root, as DVC prints paths. */
export function relToRoot(repo: Repo, abs: string): string {
  return path.relative(repo.root, abs).split(path.sep).join('/');
}

export async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
