import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { readDvcFile } from './dvcfile.js';
import { DvcError } from './errors.js';

/**
 * The data version of a .dvc file: its (first) out's md5, e.g. `5fc28ea7….dir`.
 * A relative `dvcFile` is taken from `repoRoot` when given, else from the process's cwd.
 */
export async function dataVersion(dvcFile: string, opts: { repoRoot?: string } = {}): Promise<string> {
  const dvc = await readDvcFile(path.resolve(opts.repoRoot ?? '.', dvcFile));
  const md5 = dvc.outs[0]?.md5;
  if (!md5) throw new DvcError('bad_dvc_file', `'${dvcFile}' has no md5 yet`, { hint: 'run `dagctl dvc add` on its data' });
  return md5;
}

/** True when a `dvc` executable is on PATH (then operators run the real tool). */
export async function dvcCliAvailable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const names = process.platform === 'win32' ? ['dvc.exe', 'dvc.cmd'] : ['dvc'];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      try {
        await access(path.join(dir, name), constants.X_OK);
        return true;
      } catch {
        // keep looking
      }
    }
  }
  return false;
}
