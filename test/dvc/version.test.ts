import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataVersion, dvcCliAvailable } from '../../src/dvc/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dvc-version-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('dataVersion', () => {
  it("returns the out's md5, resolving a relative path from repoRoot", async () => {
    await writeFile(path.join(dir, 'x.dvc'), 'outs:\n- md5: 5fc28ea78987408341668eba6525ebd1.dir\n  size: 9\n  nfiles: 3\n  hash: md5\n  path: x\n');
    expect(await dataVersion('x.dvc', { repoRoot: dir })).toBe('5fc28ea78987408341668eba6525ebd1.dir');
  });

  it('fails with bad_dvc_file when the out has no md5', async () => {
    await writeFile(path.join(dir, 'y.dvc'), 'outs:\n- path: y\n');
    await expect(dataVersion(path.join(dir, 'y.dvc'))).rejects.toMatchObject({ code: 'bad_dvc_file' });
  });
});

describe('dvcCliAvailable', () => {
  it('finds an executable named dvc on PATH and nothing on an empty PATH', async () => {
    expect(await dvcCliAvailable({ PATH: dir })).toBe(false);
    await writeFile(path.join(dir, 'dvc'), '#!/bin/sh\n');
    expect(await dvcCliAvailable({ PATH: dir })).toBe(false); // not executable yet
    await chmod(path.join(dir, 'dvc'), 0o755);
    expect(await dvcCliAvailable({ PATH: `/nonexistent${path.delimiter}${dir}` })).toBe(true);
  });
});
