import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DvcError } from './errors.js';
import { exists } from './repo.js';

// What `dvc init` writes (dvc/repo/init.py, dvc/ignore.py); a DVC repo either uses git or says no_scm.
const DVC_GITIGNORE = '/config.local\n/tmp\n/cache\n';
const DVCIGNORE = '# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n';

export async function init(repoRoot: string, opts: { noScm?: boolean } = {}): Promise<{ dvcDir: string }> {
  const dvcDir = path.join(path.resolve(repoRoot), '.dvc');
  if (await exists(dvcDir)) {
    throw new DvcError('config', `'${dvcDir}' exists`, { hint: 'this is already a DVC repository', exitCode: 1 });
  }
  await mkdir(dvcDir, { recursive: true });
  await writeFile(path.join(dvcDir, 'config'), opts.noScm ? '[core]\n    no_scm = True\n' : '');
  await writeFile(path.join(dvcDir, '.gitignore'), DVC_GITIGNORE);
  if (!(await exists(path.join(repoRoot, '.dvcignore')))) await writeFile(path.join(repoRoot, '.dvcignore'), DVCIGNORE);
  return { dvcDir };
}
