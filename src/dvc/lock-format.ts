import { parse, stringify } from 'yaml';
import { DVC_YAML_OPTIONS } from './dvcfile.js';
import { DvcError } from './errors.js';
import { compareCodePoints } from './pyjson.js';

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
