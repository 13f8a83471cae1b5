import { readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { DvcError } from './errors.js';
import type { ObjectId } from './objects.js';

/** One `outs:` entry of a .dvc file. Unknown keys (desc, cache, remote, push, ...) are kept as read. */
export interface DvcOut {
  md5?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** `md5` for DVC 3 objects; absent for 2.x (md5-dos2unix) ones. */
  hash?: string;
  path: string;
  [key: string]: unknown;
}

export interface DvcFile {
  /** Absolute path of the .dvc file. */
  file: string;
  outs: DvcOut[];
  /** Root keys other than `outs` (deps, wdir, md5, frozen), in file order. */
  rest: Record<string, unknown>;
}

// dvc/output.py Output.dumpd order; anything unknown goes after these, in the order it was read.
const OUT_KEY_ORDER = ['md5', 'size', 'nfiles', 'isexec', 'hash', 'path', 'desc', 'type', 'labels', 'meta', 'cache', 'metric', 'plot', 'persist', 'remote', 'push'];

/** ruamel-like YAML as DVC writes it: block style, `- ` at the parent's indent, single quotes when needed. */
export const DVC_YAML_OPTIONS = { indentSeq: false, singleQuote: true, lineWidth: 0 } as const;

export function isLegacyOut(out: DvcOut): boolean {
  return out.hash !== 'md5';
}

export function outObject(out: DvcOut): ObjectId | undefined {
  return out.md5 ? { oid: out.md5, legacy: isLegacyOut(out) } : undefined;
}

/** Absolute workspace path of an out (relative to the .dvc file's folder and its `wdir`). */
export function outPath(dvc: DvcFile, out: DvcOut): string {
  const wdir = typeof dvc.rest.wdir === 'string' ? dvc.rest.wdir : '.';
  return path.resolve(path.dirname(dvc.file), wdir, out.path);
}

export async function readDvcFile(file: string): Promise<DvcFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new DvcError('target_missing', `'${file}' does not exist`, { hint: 'check the path, or create it with `dagctl dvc add <data>`', cause });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw new DvcError('bad_dvc_file', `'${file}' is not valid YAML`, { hint: 'fix the file by hand or re-create it with `dagctl dvc add`', cause });
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { outs?: unknown }).outs)) {
    throw new DvcError('bad_dvc_file', `'${file}' has no 'outs' list`, { hint: 'a .dvc file needs `outs: [{md5, size, hash, path}]`' });
  }
  const { outs, ...rest } = doc as { outs: unknown[] };
  const parsed = outs.map((o, i) => {
    const out = o as DvcOut | null;
    if (!out || typeof out.path !== 'string') {
      throw new DvcError('bad_dvc_file', `'${file}': outs[${i}] has no path`, { hint: 'each out needs at least `path:`' });
    }
    if (out.md5 !== undefined && typeof out.md5 !== 'string') {
      throw new DvcError('bad_dvc_file', `'${file}': outs[${i}].md5 is not a string`, { hint: 'quote the md5 value' });
    }
    return out;
  });
  return { file, outs: parsed, rest };
}

export function orderOut(out: DvcOut): DvcOut {
  const ordered: Record<string, unknown> = {};
  for (const key of OUT_KEY_ORDER) if (out[key] !== undefined) ordered[key] = out[key];
  for (const [key, value] of Object.entries(out)) if (!(key in ordered) && value !== undefined) ordered[key] = value;
  return ordered as DvcOut;
}

export function dumpDvcFile(dvc: Omit<DvcFile, 'file'>): string {
  const doc: Record<string, unknown> = {};
  // DVC writes root keys md5/frozen/deps before outs (imports); keep anything else after.
  for (const key of ['md5', 'frozen', 'deps', 'wdir']) if (dvc.rest[key] !== undefined) doc[key] = dvc.rest[key];
  doc.outs = dvc.outs.map(orderOut);
  for (const [key, value] of Object.entries(dvc.rest)) if (!(key in doc)) doc[key] = value;
  return stringify(doc, DVC_YAML_OPTIONS);
}

/** Written to a temp file and renamed so a crash never leaves a half-written .dvc file. */
export async function writeDvcFile(dvc: DvcFile): Promise<void> {
  const tmp = `${dvc.file}.${process.pid}.tmp`;
  await writeFile(tmp, dumpDvcFile(dvc));
  await rename(tmp, dvc.file);
}
