import { md5Bytes } from './hash.js';
import { compareCodePoints, pyJsonDumps } from './pyjson.js';

/** One file of a tracked directory, as stored in the `.dir` object (dvc-data hashfile/tree.py). */
export interface DirEntry {
  /** POSIX path relative to the tracked directory. */
  relpath: string;
  md5: string;
}

export const DIR_SUFFIX = '.dir';

export function isDirOid(oid: string): boolean {
  return oid.endsWith(DIR_SUFFIX);
}

/** The exact bytes DVC writes for a `.dir` object: sorted by relpath, Python json.dumps(sort_keys=True). */
export function manifestBytes(entries: readonly DirEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
  return Buffer.from(pyJsonDumps(sorted.map((e) => ({ md5: e.md5, relpath: e.relpath }))), 'utf8');
}

/** `<md5 of manifest bytes>.dir` */
export function dirOid(bytes: Uint8Array): string {
  return `${md5Bytes(bytes)}${DIR_SUFFIX}`;
}

export function parseManifest(bytes: Uint8Array, what: string): DirEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new Error(`${what} is not a valid .dir manifest (not JSON)`, { cause });
  }
  if (!Array.isArray(raw)) throw new Error(`${what} is not a valid .dir manifest (not a list)`);
  return raw.map((item: unknown, i) => {
    const e = item as Partial<DirEntry> | null;
    if (!e || typeof e.md5 !== 'string' || typeof e.relpath !== 'string') {
      throw new Error(`${what} entry ${i} lacks md5/relpath`);
    }
    if (e.relpath.split('/').some((part) => part === '..' || part === '') || e.relpath.startsWith('/')) {
      throw new Error(`${what} entry ${i} has an unsafe relpath '${e.relpath}'`);
    }
    return { relpath: e.relpath, md5: e.md5 };
  });
}
