import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pull, push, status } from '../../src/dvc/index.js';
import { dirOid, manifestBytes } from '../../src/dvc/manifest.js';
import { exists } from '../../src/dvc/repo.js';
import { logger, tempRepo, writeConfig, type TempRepo } from './helpers.js';

const CRLF = 'a\r\nb\r\n';
const LEGACY = 'dd8c6a395b5dd36c56d23275028f526c'; // md5-dos2unix of CRLF (= md5 of "a\nb\n")

let repo: TempRepo;
beforeEach(async () => {
  repo = await tempRepo();
});
afterEach(() => repo.cleanup());

async function put(root: string, key: string, bytes: string | Buffer): Promise<void> {
  const file = path.join(root, ...key.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

describe('DVC 2.x objects (no `hash: md5`)', () => {
  it('pulls a legacy file and folder from the old remote layout, verifying md5-dos2unix', async () => {
    const manifest = manifestBytes([{ relpath: 'notes/crlf.txt', md5: LEGACY }]);
    const dir = dirOid(manifest);
    await put(repo.remoteDir, `${LEGACY.slice(0, 2)}/${LEGACY.slice(2)}`, CRLF);
    await put(repo.remoteDir, `${dir.slice(0, 2)}/${dir.slice(2)}`, manifest);
    await writeFile(path.join(repo.root, 'crlf.txt.dvc'), `outs:\n- md5: ${LEGACY}\n  size: 6\n  path: crlf.txt\n`);
    await writeFile(path.join(repo.root, 'old.dvc'), `outs:\n- md5: ${dir}\n  size: 6\n  nfiles: 1\n  path: old\n`);
    const r = await pull({ repoRoot: repo.root, logger });
    expect(r.lines.sort()).toEqual(['A\tcrlf.txt', 'A\told/']);
    expect(await readFile(path.join(repo.root, 'crlf.txt'), 'utf8')).toBe(CRLF);
    expect(await readFile(path.join(repo.root, 'old/notes/crlf.txt'), 'utf8')).toBe(CRLF);
    expect(await exists(path.join(repo.root, '.dvc/cache', LEGACY.slice(0, 2), LEGACY.slice(2)))).toBe(true);
    expect((await status({ repoRoot: repo.root, logger, targets: ['crlf.txt.dvc', 'old.dvc'] })).clean).toBe(true);

    // pushing them to a new remote keeps the 2.x layout
    await writeConfig(repo.root, '../../remote2');
    await push({ repoRoot: repo.root, logger, targets: ['crlf.txt.dvc', 'old.dvc'] });
    expect(await exists(path.join(repo.base, 'remote2', LEGACY.slice(0, 2), LEGACY.slice(2)))).toBe(true);
    expect(await exists(path.join(repo.base, 'remote2', dir.slice(0, 2), dir.slice(2)))).toBe(true);
  });
});
