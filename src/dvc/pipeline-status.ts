import type { LockEntry, LockStage } from './lock-format.js';
import { measureStage, readLockFile, readPipeline, type HashMemo } from './pipeline.js';
import type { Repo } from './repo.js';

export const CHANGE_STATES = ['new', 'modified', 'deleted', 'not in cache'] as const;
export type ChangeState = (typeof CHANGE_STATES)[number];

/** One element of a `dvc status --json` list (dvc/stage/__init__.py Stage.status). */
export type StatusItem =
  | { 'changed deps': Record<string, ChangeState | Record<string, ChangeState>> }
  | { 'changed outs': Record<string, ChangeState> }
  | 'changed command'
  | 'always changed';

function compare(now: LockEntry | undefined, recorded: LockEntry | undefined): ChangeState | undefined {
  if (!now) return 'deleted';
  if (!recorded) return 'new';
  return now.md5 === recorded.md5 ? undefined : 'modified';
}

function paramChanges(now: Record<string, Record<string, unknown>>, lock: LockStage | undefined): Record<string, Record<string, ChangeState>> {
  const out: Record<string, Record<string, ChangeState>> = {};
  for (const [file, values] of Object.entries(now)) {
    const recorded = lock?.params?.[file] ?? {};
    for (const [key, value] of Object.entries(values)) {
      const state: ChangeState | undefined =
        value === undefined ? 'deleted' : !(key in recorded) ? 'new' : JSON.stringify(value) !== JSON.stringify(recorded[key]) ? 'modified' : undefined;
      if (state) (out[file] ??= {})[key] = state;
    }
  }
  return out;
}

/** `dvc status` for the stages of dvc.yaml against dvc.lock; only stages with changes appear. */
export async function pipelineStatus(repo: Repo, jobs: number): Promise<Record<string, StatusItem[]>> {
  const stages = await readPipeline(repo);
  if (!stages) return {};
  const lock = await readLockFile(repo);
  const result: Record<string, StatusItem[]> = {};
  const memo: HashMemo = new Map();
  for (const [name, def] of Object.entries(stages)) {
    const recorded = lock?.stages[name];
    const now = await measureStage(repo, name, def, { jobs, store: false, memo });
    const items: StatusItem[] = [];
    const deps: Record<string, ChangeState | Record<string, ChangeState>> = {};
    for (const d of now.deps) {
      const state = compare(d.entry, recorded?.deps?.find((e) => e.path === d.path));
      if (state) deps[d.path] = state;
    }
    Object.assign(deps, paramChanges(now.params, recorded));
    if (Object.keys(deps).length) items.push({ 'changed deps': deps });
    const outs: Record<string, ChangeState> = {};
    for (const o of now.outs) {
      let state = compare(o.entry, recorded?.outs?.find((e) => e.path === o.path));
      if (!state && o.cache && o.entry && !(await repo.cache.has({ oid: o.entry.md5, legacy: false }))) state = 'not in cache';
      if (state) outs[o.path] = state;
    }
    if (Object.keys(outs).length) items.push({ 'changed outs': outs });
    if (!recorded || JSON.stringify(recorded.cmd) !== JSON.stringify(now.cmd)) items.push('changed command');
    if (now.alwaysChanged) items.push('always changed');
    if (items.length) result[name] = items;
  }
  return result;
}

// dvc/commands/status.py _show: nested dicts indented by tabs, states padded to 20 columns.
export function renderStatus(value: unknown, indent = 0): string[] {
  const ind = '\t'.repeat(indent);
  if (typeof value === 'string') return [`${ind}${value}`];
  if (Array.isArray(value)) return value.flatMap((v) => renderStatus(v, indent));
  const lines: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') lines.push(`${ind}${`${v}:`.padEnd(20, ' ')}${key}`);
    else if (v) lines.push(`${ind}${key}:`, ...renderStatus(v, indent + 1));
  }
  return lines;
}
