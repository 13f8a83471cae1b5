import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { compareCodePoints } from './pyjson.js';

/**
 * Every file under `dir`, as POSIX relpaths sorted in code-point order (the .dir manifest's order).
 * Symlinks are followed to files; temp entries our own checkout leaves (`.*.dvc-tmp-*`) are skipped.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (abs: string, rel: string): Promise<void> => {
    for (const entry of await readdir(abs, { withFileTypes: true })) {
      if (isOurTemp(entry.name)) continue;
      const childAbs = path.join(abs, entry.name);
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const s = await stat(childAbs);
        isDir = s.isDirectory();
        isFile = s.isFile();
      }
      if (isDir) await visit(childAbs, childRel);
      else if (isFile) out.push(childRel);
    }
  };
  await visit(dir, '');
  return out.sort(compareCodePoints);
}

export function isOurTemp(name: string): boolean {
  return /^\..*\.dvc-(tmp|old)-[0-9a-z]+$/.test(name);
}

export async function pathKind(p: string): Promise<'file' | 'dir' | 'missing'> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}
