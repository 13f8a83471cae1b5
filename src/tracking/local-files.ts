import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Files under `localPath` (or the file itself) as [absolute path, posix path relative to it]. */
export async function filesUnder(localPath: string): Promise<[string, string][]> {
  const st = await fs.stat(localPath);
  if (st.isFile()) return [[localPath, path.basename(localPath)]];
  const out: [string, string][] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs);
      else if (entry.isFile()) out.push([abs, path.relative(localPath, abs).split(path.sep).join('/')]);
    }
  };
  await walk(localPath);
  return out.sort((a, b) => a[1].localeCompare(b[1]));
}

/** Copies a folder's content (or one file) into `destDir`, as MLflow's local artifact repository does. */
export async function copyInto(localPath: string, destDir: string): Promise<void> {
  for (const [abs, rel] of await filesUnder(localPath)) {
    const dest = path.join(destDir, ...rel.split('/'));
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.copyFile(abs, dest);
  }
}

/** `a/b` + `c` without doubled or leading slashes. */
export const joinPosix = (...parts: (string | undefined)[]): string =>
  parts.filter((p): p is string => !!p).map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
