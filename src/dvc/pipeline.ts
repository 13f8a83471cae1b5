import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { hashAndCache } from './add.js';
import { DvcError } from './errors.js';
import { parseLock, type LockEntry, type LockFile } from './lock-format.js';
import { relToRoot, type Repo } from './repo.js';

/** A stage as written in dvc.yaml (dvc/schema.py STAGE_DEFINITION); checked where used. */
export interface StageDef {
  cmd?: unknown;
  wdir?: unknown;
  deps?: unknown;
  params?: unknown;
  outs?: unknown;
  metrics?: unknown;
  plots?: unknown;
  foreach?: unknown;
  matrix?: unknown;
  always_changed?: unknown;
  frozen?: unknown;
}

/** What a stage's deps, params and outs are right now. `entry` is undefined for a missing path. */
export interface StageNow {
  cmd: string | string[];
  alwaysChanged: boolean;
  deps: Array<{ path: string; entry: LockEntry | undefined }>;
  outs: Array<{ path: string; cache: boolean; entry: LockEntry | undefined }>;
  /** file -> key -> value; `undefined` when the key is missing from the file. */
  params: Record<string, Record<string, unknown>>;
}

export async function readPipeline(repo: Repo): Promise<Record<string, StageDef> | undefined> {
  const file = path.join(repo.root, 'dvc.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const doc = (parse(text) ?? {}) as { stages?: Record<string, StageDef> };
    return doc.stages ?? {};
  } catch (cause) {
    throw new DvcError('bad_pipeline', `${relToRoot(repo, file)} is not valid YAML`, { hint: 'fix dvc.yaml', cause });
  }
}

export async function readLockFile(repo: Repo): Promise<LockFile | undefined> {
  try {
    return parseLock(await readFile(path.join(repo.root, 'dvc.lock'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function pathsOf(list: unknown, what: string): Array<{ path: string; cache: boolean }> {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new DvcError('bad_pipeline', `dvc.yaml: ${what} must be a list`, { hint: 'see https://dvc.org/doc/user-guide/project-structure/dvcyaml-files' });
  return list.map((item: unknown) => {
    if (typeof item === 'string') return { path: item, cache: true };
    const [p, opts] = Object.entries(item as Record<string, { cache?: boolean } | null>)[0] ?? [];
    if (!p) throw new DvcError('bad_pipeline', `dvc.yaml: bad ${what} entry ${JSON.stringify(item)}`, { hint: 'use a path or {path: {cache: false}}' });
    return { path: p, cache: opts?.cache !== false };
  });
}

function lookup(doc: unknown, dotted: string): unknown {
  let cur: unknown = doc;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

// Stage `params`: `key` means params.yaml; `{file: [keys]}` another file; `{file: []}` every top-level key.
async function stageParams(wdir: string, list: unknown): Promise<Record<string, Record<string, unknown>>> {
  const byFile: Record<string, string[]> = {};
  for (const item of Array.isArray(list) ? list : []) {
    if (typeof item === 'string') (byFile['params.yaml'] ??= []).push(item);
    else for (const [file, keys] of Object.entries(item as Record<string, string[] | null>)) (byFile[file] ??= []).push(...(keys ?? []));
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [file, keys] of Object.entries(byFile)) {
    let doc: unknown = {};
    try {
      doc = parse(await readFile(path.join(wdir, file), 'utf8')) as unknown;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DvcError('bad_pipeline', `${file} is not valid YAML`, { hint: `fix ${file}`, cause: err });
    }
    const wanted = keys.length ? keys : Object.keys((doc as Record<string, unknown>) ?? {});
    out[file] = Object.fromEntries(wanted.map((key) => [key, lookup(doc, key)]));
  }
  return out;
}

/** Hash results shared by the stages of one call (data/chest_xray is a dep of several stages). */
export type HashMemo = Map<string, ReturnType<typeof hashAndCache>>;

async function measure(repo: Repo, wdir: string, p: string, store: boolean, jobs: number, memo: HashMemo): Promise<LockEntry | undefined> {
  const abs = path.resolve(wdir, p);
  const key = `${store ? 'store:' : ''}${abs}`;
  try {
    let pending = memo.get(key);
    if (!pending) memo.set(key, (pending = hashAndCache(repo, abs, jobs, store)));
    const h = await pending;
    return { path: p, hash: 'md5', md5: h.md5, size: h.size, ...(h.nfiles !== undefined ? { nfiles: h.nfiles } : {}) };
  } catch (err) {
    if (err instanceof DvcError && err.code === 'target_missing') return undefined;
    throw err;
  }
}

/** Hashes a stage's deps and outs as they are now; `store` also caches outs (unless `cache: false`). */
export async function measureStage(repo: Repo, name: string, def: StageDef, opts: { jobs: number; store: boolean; memo?: HashMemo }): Promise<StageNow> {
  const memo = opts.memo ?? new Map();
  if (def.foreach !== undefined || def.matrix !== undefined) {
    throw new DvcError('bad_pipeline', `stage '${name}': foreach/matrix stages are not supported by the built-in DVC client`, { hint: 'write the stages out one by one, or use real DVC' });
  }
  if (typeof def.cmd !== 'string' && !Array.isArray(def.cmd)) throw new DvcError('bad_pipeline', `stage '${name}' has no cmd`, { hint: 'every stage needs `cmd:`' });
  const wdir = path.resolve(repo.root, typeof def.wdir === 'string' ? def.wdir : '.');
  const deps = await Promise.all(pathsOf(def.deps, 'deps').map(async (d) => ({ path: d.path, entry: await measure(repo, wdir, d.path, false, opts.jobs, memo) })));
  const outDefs = [...pathsOf(def.outs, 'outs'), ...pathsOf(def.metrics, 'metrics'), ...pathsOf(def.plots, 'plots')];
  const outs = await Promise.all(outDefs.map(async (o) => ({ ...o, entry: await measure(repo, wdir, o.path, opts.store && o.cache, opts.jobs, memo) })));
  return { cmd: def.cmd as string | string[], alwaysChanged: def.always_changed === true, deps, outs, params: await stageParams(wdir, def.params) };
}
