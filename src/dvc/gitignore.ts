import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Adds `/<name>` to the .gitignore next to a tracked path, as `dvc add` does, unless an equivalent
 * line is already there. Returns the .gitignore's path when it changed.
 */
export async function ignoreInGit(tracked: string): Promise<string | undefined> {
  const file = path.join(path.dirname(tracked), '.gitignore');
  const entry = `/${path.basename(tracked)}`;
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(entry) || lines.includes(`${entry}/`)) return undefined;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  await writeFile(file, `${text}${sep}${entry}\n`);
  return file;
}
