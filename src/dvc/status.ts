import path from 'node:path';
import { digestBytes, digestFile } from './cache.js';
import { collectOuts, readChildren, type TrackedOut } from './collect.js';
import { selectRemote } from './config.js';
import { DvcError, RemoteUnreachableError } from './errors.js';
import { DIR_SUFFIX, manifestBytes } from './manifest.js';
import { objectKey } from './objects.js';
import { defaultJobs, mapPool } from './pool.js';
import { openRemote } from './remotes/open.js';
import { openRepo, relToRoot, type DvcOptions, type Repo } from './repo.js';
import { pipelineStatus, renderStatus, type ChangeState, type StatusItem } from './pipeline-status.js';
import type { Wanted } from './transfer.js';
import { listFiles, pathKind } from './walk.js';

export const CLOUD_STATES = ['new', 'deleted', 'missing'] as const;
export type CloudState = (typeof CLOUD_STATES)[number];

/**
 * `dvc status --json` shape: `{"data/x.dvc": [{"changed outs": {"data/x": "modified"}}],
 * "train": [{"changed deps": {"params.yaml": {"train.lr": "modified"}}}, "changed command"]}`.
 */
export type LocalStatus = Record<string, StatusItem[]>;

export interface StatusOptions extends DvcOptions {
  /** Compare the cache with a remote (`-c`) instead of the workspace with the .dvc files. */
  cloud?: boolean;
  remote?: string;
  targets?: readonly string[];
  jobs?: number;
}

export type StatusResult =
  | { kind: 'local'; clean: boolean; status: LocalStatus; lines: string[] }
  | { kind: 'cloud'; clean: boolean; remote: string; status: Record<string, CloudState>; lines: string[] };


/** The md5 the workspace has now, computed the way the out was hashed (2.x or 3.x). */
async function workspaceMd5(t: TrackedOut, jobs: number): Promise<string | undefined> {
  const legacy = t.root?.legacy ?? false;
  const kind = await pathKind(t.abs);
  if (kind === 'missing') return undefined;
  if (kind === 'file') return digestFile(t.abs, legacy);
  const relpaths = await listFiles(t.abs);
  const settled = await mapPool(relpaths, jobs, (rel) => digestFile(path.join(t.abs, ...rel.split('/')), legacy));
  const entries = relpaths.map((relpath, i) => {
    const s = settled[i];
    if (!s?.ok) throw s?.error;
    return { relpath, md5: s.value };
  });
  return `${digestBytes(manifestBytes(entries), false)}${DIR_SUFFIX}`;
}

async function inCache(repo: Repo, t: TrackedOut): Promise<boolean> {
  if (!t.root || !(await repo.cache.has(t.root))) return false;
  for (const c of await readChildren(repo, t)) if (!(await repo.cache.has(c.object))) return false;
  return true;
}

async function localStatus(repo: Repo, outs: TrackedOut[], jobs: number): Promise<StatusResult> {
  const status: LocalStatus = {};
  for (const t of outs) {
    const now = await workspaceMd5(t, jobs);
    let state: ChangeState | undefined;
    if (now === undefined) state = 'deleted';
    else if (now !== t.root?.oid) state = 'modified';
    else if (!(await inCache(repo, t))) state = 'not in cache';
    if (!state) continue;
    const key = relToRoot(repo, t.dvc.file);
    const entry = (status[key] ??= [{ 'changed outs': {} }])[0] as { 'changed outs': Record<string, ChangeState> };
    entry['changed outs'][t.rel] = state;
  }
  Object.assign(status, await pipelineStatus(repo, jobs));
  const lines = renderStatus(status);
  const clean = lines.length === 0;
  return { kind: 'local', clean, status, lines: clean ? ['Data and pipelines are up to date.'] : lines };
}

async function cloudStatus(repo: Repo, outs: TrackedOut[], opts: StatusOptions): Promise<StatusResult> {
  const config = selectRemote(repo.config, opts.remote);
  const objects: Wanted[] = [];
  for (const t of outs) {
    if (!t.root) continue;
    objects.push({ object: t.root, rel: t.rel });
    if (await repo.cache.has(t.root)) for (const c of await readChildren(repo, t)) objects.push({ object: c.object, rel: c.rel });
  }
  const { remote, jobs } = await openRemote(config, { jobs: opts.jobs, mode: 'query' });
  try {
    const settled = await mapPool(
      objects,
      jobs,
      async (w) => ({ local: await repo.cache.has(w.object), remote: await remote.exists(objectKey(w.object)) }),
      (e) => e instanceof RemoteUnreachableError,
    );
    const status: Record<string, CloudState> = {};
    settled.forEach((s, i) => {
      if (!s.ok) throw s.error instanceof DvcError ? s.error : new DvcError('remote_error', String(s.error), { cause: s.error });
      const w = objects[i] as Wanted;
      const state: CloudState | undefined = s.value.local ? (s.value.remote ? undefined : 'new') : s.value.remote ? 'deleted' : 'missing';
      if (state) status[w.rel] = state;
    });
    const lines = renderStatus(status, 1);
    const clean = lines.length === 0;
    return { kind: 'cloud', clean, remote: config.name, status, lines: clean ? [`Cache and remote '${config.name}' are in sync.`] : lines };
  } finally {
    remote.close();
  }
}

/** `dvc status` (workspace vs .dvc files, dvc.yaml stages vs dvc.lock) or `dvc status -c` (cache vs remote). */
export async function status(opts: StatusOptions): Promise<StatusResult> {
  const repo = await openRepo(opts);
  const outs = await collectOuts(repo, opts.targets);
  return opts.cloud ? cloudStatus(repo, outs, opts) : localStatus(repo, outs, opts.jobs ?? defaultJobs());
}
