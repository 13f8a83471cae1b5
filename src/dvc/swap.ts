import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { tempName } from './cache.js';
import { exists } from './repo.js';

/**
 * Replaces `target` by `staged` with renames only, so readers see the old data or the new data,
 * never a mix. POSIX has no portable directory exchange, so there is a moment with the old copy
 * parked under `.<name>.dvc-old-*`; `recoverSwap` puts it back if a crash hit that moment.
 */
export async function swapInto(staged: string, target: string): Promise<void> {
  if (!(await exists(target))) {
    await rename(staged, target);
    return;
  }
  const parked = tempName(target, 'old');
  await rename(target, parked);
  try {
    await rename(staged, target);
  } catch (err) {
    await rename(parked, target);
    throw err;
  }
  await rm(parked, { recursive: true, force: true });
}

/** Undoes what an interrupted checkout left: restores a parked copy, deletes half-built ones. */
export async function recoverSwap(target: string): Promise<void> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const mine = names.filter((n) => n.startsWith(`.${base}.dvc-`));
  const parked = mine.filter((n) => n.includes('.dvc-old-'));
  if (parked.length > 0 && !(await exists(target))) await rename(path.join(dir, parked[0] as string), target);
  for (const n of mine) await rm(path.join(dir, n), { recursive: true, force: true }).catch(() => undefined);
}
