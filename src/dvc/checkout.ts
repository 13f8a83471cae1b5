import { chmod, copyFile, link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { digestFile, tempName } from './cache.js';
import { readChildren, type ChildObject, type TrackedOut } from './collect.js';
import { DvcError, type FailedObject } from './errors.js';
import { mapPool } from './pool.js';
import type { Repo } from './repo.js';
import { recoverSwap, swapInto } from './swap.js';
import { listFiles, pathKind } from './walk.js';

export const CHANGE_KINDS = ['added', 'modified', 'deleted'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface Change {
  kind: ChangeKind;
  /** Repo-relative; folders end with `/`, as DVC prints them. */
  path: string;
}

interface Planned {
  tracked: TrackedOut;
  kind: ChangeKind;
  children: ChildObject[];
  /** Workspace files whose content already matches (relpath -> md5): linked, not copied. */
  reusable: Map<string, string>;
}

/** Digests of what is in the workspace now, for a file (key '') or every file of a folder. */
async function workspaceDigests(tracked: TrackedOut, jobs: number): Promise<Map<string, string>> {
  const legacy = tracked.root?.legacy ?? false;
  const kind = await pathKind(tracked.abs);
  if (kind === 'missing') return new Map();
  if (kind === 'file') return new Map([['', await digestFile(tracked.abs, legacy)]]);
  const relpaths = await listFiles(tracked.abs);
  const settled = await mapPool(relpaths, jobs, (rel) => digestFile(path.join(tracked.abs, ...rel.split('/')), legacy));
  return new Map(
    relpaths.map((rel, i) => {
      const s = settled[i];
      if (!s?.ok) throw s?.error;
      return [rel, s.value];
    }),
  );
}

async function plan(repo: Repo, tracked: TrackedOut, force: boolean, jobs: number): Promise<Planned | undefined> {
  const root = tracked.root;
  if (!root) return undefined;
  await recoverSwap(tracked.abs);
  const children = tracked.isDir ? await readChildren(repo, tracked) : [];
  const current = await workspaceDigests(tracked, jobs);
  const wanted = tracked.isDir ? new Map(children.map((c) => [c.entry.relpath, c.entry.md5])) : new Map([['', root.oid]]);
  const same = current.size === wanted.size && [...wanted].every(([rel, md5]) => current.get(rel) === md5);
  if (same && (await pathKind(tracked.abs)) === (tracked.isDir ? 'dir' : 'file')) return undefined;
  // Replacing data that exists nowhere else would lose it; DVC asks first, we refuse unless forced.
  if (!force) {
    const unsaved: FailedObject[] = [];
    for (const [rel, md5] of current) {
      if (wanted.get(rel) === md5 || (await repo.cache.has({ oid: md5, legacy: root.legacy }))) continue;
      unsaved.push({ oid: md5, path: rel ? `${tracked.rel}/${rel}` : tracked.rel, detail: 'not in the cache' });
    }
    if (unsaved.length > 0) {
      const shown = unsaved.slice(0, 5).map((u) => `  ${u.path}`).join('\n');
      throw new DvcError('workspace_changed', `checkout would overwrite ${unsaved.length} uncommitted file(s) in '${tracked.rel}':\n${shown}`, {
        hint: `keep them with \`dagctl dvc add ${tracked.rel}\` (then push), or discard them with --force`,
      });
    }
  }
  const reusable = new Map([...current].filter(([rel, md5]) => wanted.get(rel) === md5));
  return { tracked, kind: current.size === 0 && (await pathKind(tracked.abs)) === 'missing' ? 'added' : 'modified', children, reusable };
}

async function materialise(repo: Repo, p: Planned, jobs: number): Promise<void> {
  const { tracked } = p;
  const staged = tempName(tracked.abs);
  const place = async (src: string, dest: string, reuse: boolean): Promise<void> => {
    if (reuse) {
      try {
        await link(src, dest);
        return;
      } catch {
        // different device or no hardlinks: fall through to a copy
      }
    }
    await copyFile(src, dest);
    await chmod(dest, 0o644);
  };
  try {
    if (!tracked.isDir) {
      await place(repo.cache.path(tracked.root as NonNullable<TrackedOut['root']>), staged, false);
    } else {
      await mkdir(staged, { recursive: true });
      const settled = await mapPool(p.children, jobs, async (c) => {
        const dest = path.join(staged, ...c.entry.relpath.split('/'));
        await mkdir(path.dirname(dest), { recursive: true });
        const reuse = p.reusable.get(c.entry.relpath) === c.entry.md5;
        await place(reuse ? path.join(tracked.abs, ...c.entry.relpath.split('/')) : repo.cache.path(c.object), dest, reuse);
      });
      const failed = settled.find((s) => !s.ok);
      if (failed && !failed.ok) throw failed.error;
    }
    await mkdir(path.dirname(tracked.abs), { recursive: true });
    await swapInto(staged, tracked.abs);
  } catch (err) {
    await rm(staged, { recursive: true, force: true });
    throw err;
  }
}

/**
 * `dvc checkout` from the cache (objects must be there: fetch first). Every out is planned and
 * checked before any is replaced; each is built beside its target and swapped in by rename.
 */
export async function checkoutOuts(repo: Repo, outs: readonly TrackedOut[], opts: { force?: boolean; jobs: number; signal?: AbortSignal | undefined }): Promise<Change[]> {
  const plans: Planned[] = [];
  for (const tracked of outs) {
    const p = await plan(repo, tracked, opts.force ?? false, opts.jobs);
    if (p) plans.push(p);
  }
  const changes: Change[] = [];
  for (const p of plans) {
    opts.signal?.throwIfAborted();
    await materialise(repo, p, opts.jobs);
    changes.push({ kind: p.kind, path: p.tracked.isDir ? `${p.tracked.rel}/` : p.tracked.rel });
    repo.logger.info({ dvc: 'checkout', path: p.tracked.rel, change: p.kind }, 'checked out');
  }
  return changes;
}
