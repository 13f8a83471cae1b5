import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { hashAndCache } from './add.js';
import { DVC_YAML_OPTIONS } from './dvcfile.js';
import { DvcError } from './errors.js';
import { compareCodePoints } from './pyjson.js';
import { defaultJobs } from './pool.js';
import { openRepo, relToRoot, type DvcOptions, type Repo } from './repo.js';

export interface LockEntry {
  path: string;
  hash: 'md5';
  md5: string;
  size: number;
  nfiles?: number;
}

export interface LockStage {
  cmd: string | string[];
  deps?: LockEntry[];
  params?: Record<string, Record<string, unknown>>;
  outs?: LockEntry[];
}

export interface LockFile {
  schema: '2.0';
  stages: Record<string, LockStage>;
}

export interface CommitOptions extends DvcOptions {
  /** Only these stages are recomputed; the others keep their dvc.lock entries. Default: all. */
  stages?: readonly string[];
  jobs?: number;
}

export interface CommitResult {
  lockFile: string;
  /** Stages whose lock entry changed. */
  changed: string[];
}

interface StageDef {
  cmd?: unknown;
  wdir?: unknown;
  deps?: unknown;
  params?: unknown;
  outs?: unknown;
  metrics?: unknown;
  plots?: unknown;
  foreach?: unknown;
  matrix?: unknown;
}

/** dvc/stage/serialize.py: cmd, deps, params, outs; empty lists omitted; deps/outs sorted by path. */
export function orderStage(stage: LockStage): LockStage {
  const byPath = (a: LockEntry, b: LockEntry): number => compareCodePoints(a.path, b.path);
  const entry = (e: LockEntry): LockEntry => ({ path: e.path, hash: e.hash, md5: e.md5, size: e.size, ...(e.nfiles !== undefined ? { nfiles: e.nfiles } : {}) });
  const out: LockStage = { cmd: stage.cmd };
  if (stage.deps?.length) out.deps = [...stage.deps].sort(byPath).map(entry);
  if (stage.params && Object.keys(stage.params).length) {
    const files = Object.keys(stage.params).sort((a, b) => (a === 'params.yaml' ? -1 : b === 'params.yaml' ? 1 : compareCodePoints(a, b)));
    out.params = Object.fromEntries(
      files.map((f) => {
        const values = stage.params?.[f] ?? {};
        return [f, Object.fromEntries(Object.keys(values).sort(compareCodePoints).map((k) => [k, values[k]]))];
      }),
    );
  }
  if (stage.outs?.length) out.outs = [...stage.outs].sort(byPath).map(entry);
  return out;
}

export function dumpLock(lock: LockFile): string {
  const stages = Object.fromEntries(Object.entries(lock.stages).map(([name, s]) => [name, orderStage(s)]));
  return stringify({ schema: '2.0', stages }, DVC_YAML_OPTIONS);
}

export function parseLock(text: string): LockFile {
  const doc = parse(text) as Partial<LockFile> | null;
  if (!doc || doc.schema !== '2.0') throw new DvcError('bad_pipeline', "dvc.lock: schema must be '2.0'", { hint: 'delete dvc.lock and run `dagctl dvc commit`' });
  return { schema: '2.0', stages: doc.stages ?? {} };
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

async function stageParams(wdir: string, list: unknown, name: string): Promise<Record<string, Record<string, unknown>>> {
  const byFile: Record<string, string[]> = {};
  for (const item of Array.isArray(list) ? list : []) {
    if (typeof item === 'string') (byFile['params.yaml'] ??= []).push(item);
    else for (const [file, keys] of Object.entries(item as Record<string, string[] | null>)) (byFile[file] ??= []).push(...(keys ?? []));
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [file, keys] of Object.entries(byFile)) {
    const doc = parse(await readFile(path.join(wdir, file), 'utf8')) as unknown;
    const values: Record<string, unknown> = {};
    const wanted = keys.length ? keys : Object.keys((doc as Record<string, unknown>) ?? {});
    for (const key of wanted) {
      const v = lookup(doc, key);
      if (v === undefined) throw new DvcError('bad_pipeline', `stage '${name}': parameter '${key}' is missing from ${file}`, { hint: `add ${key} to ${file} or remove it from dvc.yaml` });
      values[key] = v;
    }
    out[file] = values;
  }
  return out;
}

async function entry(repo: Repo, wdir: string, p: string, store: boolean, jobs: number, what: string, stage: string): Promise<LockEntry> {
  try {
    const h = await hashAndCache(repo, path.resolve(wdir, p), jobs, store);
    return { path: p, hash: 'md5', md5: h.md5, size: h.size, ...(h.nfiles !== undefined ? { nfiles: h.nfiles } : {}) };
  } catch (err) {
    if (err instanceof DvcError && err.code === 'target_missing') {
      throw new DvcError('bad_pipeline', `stage '${stage}': ${what} '${p}' does not exist`, { hint: `run the stage first (its cmd) so '${p}' exists, then commit`, cause: err });
    }
    throw err;
  }
}

/**
 * `dvc commit` for pipelines: hashes each stage's deps and outs as they are now, caches the outs
 * (unless `cache: false`) and rewrites dvc.lock, so the lock stays true without Python.
 */
export async function commit(opts: CommitOptions): Promise<CommitResult> {
  const repo = await openRepo(opts);
  const jobs = opts.jobs ?? defaultJobs();
  const yamlFile = path.join(repo.root, 'dvc.yaml');
  const lockFile = path.join(repo.root, 'dvc.lock');
  let pipeline: { stages?: Record<string, StageDef> };
  try {
    pipeline = (parse(await readFile(yamlFile, 'utf8')) ?? {}) as typeof pipeline;
  } catch (cause) {
    throw new DvcError('bad_pipeline', `cannot read ${relToRoot(repo, yamlFile)}`, { hint: 'create dvc.yaml with a `stages:` map', cause });
  }
  let old: LockFile = { schema: '2.0', stages: {} };
  try {
    old = parseLock(await readFile(lockFile, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const next: LockFile = { schema: '2.0', stages: {} };
  const changed: string[] = [];
  for (const [name, def] of Object.entries(pipeline.stages ?? {})) {
    const previous = old.stages[name];
    if (opts.stages && !opts.stages.includes(name)) {
      if (previous) next.stages[name] = previous;
      continue;
    }
    if (def.foreach !== undefined || def.matrix !== undefined) {
      throw new DvcError('bad_pipeline', `stage '${name}': foreach/matrix stages are not supported by the built-in DVC client`, { hint: 'write the stages out one by one, or use `dvc commit`' });
    }
    if (typeof def.cmd !== 'string' && !Array.isArray(def.cmd)) throw new DvcError('bad_pipeline', `stage '${name}' has no cmd`, { hint: 'every stage needs `cmd:`' });
    const wdir = path.resolve(repo.root, typeof def.wdir === 'string' ? def.wdir : '.');
    const deps = await Promise.all(pathsOf(def.deps, 'deps').map((d) => entry(repo, wdir, d.path, false, jobs, 'dependency', name)));
    const outDefs = [...pathsOf(def.outs, 'outs'), ...pathsOf(def.metrics, 'metrics'), ...pathsOf(def.plots, 'plots')];
    const outs = await Promise.all(outDefs.map((o) => entry(repo, wdir, o.path, o.cache, jobs, 'output', name)));
    const stage = orderStage({ cmd: def.cmd as string | string[], deps, params: await stageParams(wdir, def.params, name), outs });
    if (JSON.stringify(stage) !== JSON.stringify(previous && orderStage(previous))) changed.push(name);
    next.stages[name] = stage;
  }
  const tmp = `${lockFile}.${process.pid}.tmp`;
  await writeFile(tmp, dumpLock(next));
  await rename(tmp, lockFile);
  repo.logger.info({ dvc: 'commit', changed }, 'dvc.lock written');
  return { lockFile: relToRoot(repo, lockFile), changed };
}
