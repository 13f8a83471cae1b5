import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { paramsSchema, type Params } from './schema.js';

export type { Params, DataParams, ModelParams, TrainParams, EvaluateParams, ThresholdRule } from './schema.js';
export { paramsSchema } from './schema.js';

/** params.yaml is missing, unreadable, not YAML, or fails validation. Messages name the key. */
export class ParamsError extends Error {
  readonly code: 'params_missing' | 'params_syntax' | 'params_invalid' | 'params_override';
  readonly exitCode = 2;
  readonly hint: string;
  constructor(code: ParamsError['code'], message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParamsError';
    this.code = code;
    this.hint = hint;
  }
}

type Tree = Record<string, unknown>;

function valueAt(root: unknown, keys: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Tree)[String(k)];
  }
  return cur;
}

function describeIssue(source: string, issue: z.core.$ZodIssue, input: unknown): string {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${source}: ${at ? `${at}.` : ''}${k} is not a known key`).join('; ');
  }
  const got = valueAt(input, issue.path);
  const shown = got === undefined ? 'nothing' : JSON.stringify(got);
  return `${source}: ${at || '(root)'} ${issue.message} (got ${shown})`;
}

/** Validates an already-parsed params object; `source` names the file in messages. */
export function parseParams(raw: unknown, source = 'params.yaml'): Params {
  const input = raw ?? {};
  const result = paramsSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => describeIssue(source, i, input));
  throw new ParamsError('params_invalid', lines.join('\n'), `fix ${source} (see docs/training.md for every key and its default)`, {
    cause: result.error,
  });
}

/** Applies one `section.key=value` override; the value is read as YAML so `2`, `true`, `null` keep their types. */
export function applyOverride(tree: Tree, override: string): void {
  const eq = override.indexOf('=');
  const key = eq > 0 ? override.slice(0, eq).trim() : '';
  if (!key || key.split('.').some((k) => k === '')) {
    throw new ParamsError('params_override', `--set ${override}: expected section.key=value`, 'e.g. --set train.epochs=2');
  }
  const text = override.slice(eq + 1);
  let value: unknown;
  try {
    value = text === '' ? '' : parseYaml(text);
  } catch {
    value = text;
  }
  const keys = key.split('.');
  let cur = tree;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (next === undefined || next === null) cur = cur[k] = {};
    else if (typeof next === 'object' && !Array.isArray(next)) cur = next as Tree;
    else throw new ParamsError('params_override', `--set ${override}: ${k} is not a section`, `check the key path in ${key}`);
  }
  cur[keys[keys.length - 1] as string] = value;
}

/**
 * Reads, overrides and validates params.yaml: the ONE place params are loaded. `file` null means defaults only.
 * Relative paths inside (data.dir, model.pretrained) are left as written; callers resolve them against the cwd,
 * as DVC does for stage commands.
 */
export async function loadParams(file: string | null, overrides: readonly string[] = []): Promise<Params> {
  let tree: Tree = {};
  const source = file ? path.basename(file) : 'params';
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new ParamsError('params_missing', `cannot read ${file}`, 'pass --params FILE or create params.yaml at the repo root', { cause });
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (cause) {
      const where = cause instanceof YAMLParseError ? ` (${cause.message.split('\n')[0]})` : '';
      throw new ParamsError('params_syntax', `${source} is not valid YAML${where}`, `fix the YAML syntax in ${file}`, { cause });
    }
    if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
      throw new ParamsError('params_invalid', `${source}: the top level must be a mapping of sections`, 'see docs/training.md');
    }
    tree = (doc as Tree | null) ?? {};
  }
  for (const o of overrides) applyOverride(tree, o);
  return parseParams(tree, source);
}
