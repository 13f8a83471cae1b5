import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { outObject, outPath, readDvcFile, type DvcFile, type DvcOut } from './dvcfile.js';
import { DvcError } from './errors.js';
import { isDirOid, parseManifest, type DirEntry } from './manifest.js';
import { objectLabel, type ObjectId } from './objects.js';
import { exists, relToRoot, type Repo } from './repo.js';

/** One `outs:` entry of one .dvc file, resolved against the workspace. */
export interface TrackedOut {
  dvc: DvcFile;
  out: DvcOut;
  /** Absolute workspace path. */
  abs: string;
  /** Repo-relative POSIX path, as printed. */
  rel: string;
  /** The out's object (`….dir` for folders); undefined when the .dvc file has no md5 yet. */
  root: ObjectId | undefined;
  isDir: boolean;
}

const SKIP_DIRS = new Set(['.git', '.dvc', 'node_modules']);

async function findDvcFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await visit(path.join(dir, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.dvc')) {
        found.push(path.join(dir, entry.name));
      }
    }
  };
  await visit(root);
  return found.sort();
}

/** A target is a .dvc file or the data it tracks (`data/x` means `data/x.dvc`), relative to the repo root. */
async function resolveTarget(repo: Repo, target: string): Promise<string> {
  const abs = path.resolve(repo.root, target);
  if (abs.endsWith('.dvc') && (await exists(abs))) return abs;
  const sidecar = `${abs.replace(/[\\/]+$/, '')}.dvc`;
  if (await exists(sidecar)) return sidecar;
  throw new DvcError('target_missing', `'${target}' does not exist or is not tracked by DVC`, { hint: `track it with \`dagctl dvc add ${target}\`, or name its .dvc file` });
}

export async function collectOuts(repo: Repo, targets?: readonly string[]): Promise<TrackedOut[]> {
  const files = targets && targets.length > 0 ? await Promise.all(targets.map((t) => resolveTarget(repo, t))) : await findDvcFiles(repo.root);
  const outs: TrackedOut[] = [];
  for (const file of [...new Set(files)]) {
    const dvc = await readDvcFile(file);
    for (const out of dvc.outs) {
      const abs = outPath(dvc, out);
      const root = outObject(out);
      outs.push({ dvc, out, abs, rel: relToRoot(repo, abs), root, isDir: root !== undefined && isDirOid(root.oid) });
    }
  }
  return outs;
}

/** A file object of a tracked folder, with the workspace path it checks out to. */
export interface ChildObject {
  object: ObjectId;
  entry: DirEntry;
  /** Repo-relative workspace path. */
  rel: string;
}

/** Reads a `.dir` object from the cache; children inherit the out's 2.x/3.x flavour. */
export async function readChildren(repo: Repo, tracked: TrackedOut): Promise<ChildObject[]> {
  const root = tracked.root;
  if (!root || !tracked.isDir) return [];
  const entries = parseManifest(await repo.cache.readBytes(root), `cache object ${objectLabel(root)}`);
  return entries.map((entry) => ({ object: { oid: entry.md5, legacy: root.legacy }, entry, rel: `${tracked.rel}/${entry.relpath}` }));
}
