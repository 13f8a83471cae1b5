import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commit, status } from '../../src/dvc/index.js';
import { dumpLock, parseLock } from '../../src/dvc/lock.js';
import { md5Bytes } from '../../src/dvc/hash.js';
import { add } from '../../src/dvc/index.js';
import { exists } from '../../src/dvc/repo.js';
import { logger, tempRepo, type TempRepo } from './helpers.js';

// iterative/example-get-started dvc.lock (stage `prepare`), as quoted in the reference.
const GET_STARTED_LOCK = `schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - path: data/data.xml
      hash: md5
      md5: 22a1a2931c8370d3aeedd7183606fd7f
      size: 14445097
    params:
      params.yaml:
        prepare.seed: 20170428
        prepare.split: 0.2
    outs:
    - path: data/prepared
      hash: md5
      md5: 153aad06d376b6595932470e459ef42a.dir
      size: 8437363
      nfiles: 2
`;

describe('dvc.lock format', () => {
  it('round-trips the example-get-started lock byte for byte', () => {
    expect(dumpLock(parseLock(GET_STARTED_LOCK))).toBe(GET_STARTED_LOCK);
  });

  it("reorders keys, sorts deps/outs by path and puts params.yaml first", () => {
    const text = dumpLock({
      schema: '2.0',
      stages: {
        s: {
          outs: [{ size: 1, md5: 'b', hash: 'md5', path: 'z' }, { path: 'a', hash: 'md5', md5: 'a', size: 2 }],
          params: { 'b.yaml': { y: 1 }, 'params.yaml': { 'train.lr': 0.001, 'a.x': 1 } },
          cmd: 'run',
        },
      },
    });
    expect(text).toBe(
      "schema: '2.0'\nstages:\n  s:\n    cmd: run\n    params:\n      params.yaml:\n        a.x: 1\n        train.lr: 0.001\n      b.yaml:\n        y: 1\n    outs:\n    - path: a\n      hash: md5\n      md5: a\n      size: 2\n    - path: z\n      hash: md5\n      md5: b\n      size: 1\n",
    );
  });

  it('refuses a lock with another schema', () => {
    expect(() => parseLock("schema: '1.0'\nstages: {}\n")).toThrow(/schema must be '2.0'/);
  });
});

describe('commit', () => {
  let repo: TempRepo;
  beforeEach(async () => {
    repo = await tempRepo();
    const w = (p: string, text: string): Promise<void> => writeFile(path.join(repo.root, p), text);
    await w('prepare.js', 'console.log(1)\n');
    await w('params.yaml', 'prepare:\n  seed: 42\ntrain:\n  lr: 0.001\n  epochs: 1\n');
    await w('other.yaml', 'lr: 3\n');
    await mkdir(path.join(repo.root, 'out'));
    await w('out/model.bin', 'weights');
    await w('metrics.json', '{"auc": 0.9}');
    await w(
      'dvc.yaml',
      'stages:\n  train:\n    cmd: node prepare.js\n    deps:\n    - prepare.js\n    - data/xray\n    params:\n    - prepare.seed\n    - train\n    - other.yaml:\n      - lr\n    outs:\n    - out/model.bin\n    metrics:\n    - metrics.json:\n        cache: false\n',
    );
  });
  afterEach(() => repo.cleanup());

  it('writes dvc.lock from the current deps, params and outs, and caches outs unless cache: false', async () => {
    const r = await commit({ repoRoot: repo.root, logger });
    expect(r).toEqual({ lockFile: 'dvc.lock', changed: ['train'] });
    const lock = parseLock(await readFile(path.join(repo.root, 'dvc.lock'), 'utf8'));
    const dirMd5 = (await add('data/xray', { repoRoot: repo.root, logger })).md5;
    expect(lock.stages.train).toEqual({
      cmd: 'node prepare.js',
      deps: [
        { path: 'data/xray', hash: 'md5', md5: dirMd5, size: expect.any(Number), nfiles: 3 },
        { path: 'prepare.js', hash: 'md5', md5: md5Bytes('console.log(1)\n'), size: 15 },
      ],
      params: { 'params.yaml': { 'prepare.seed': 42, train: { lr: 0.001, epochs: 1 } }, 'other.yaml': { lr: 3 } },
      outs: [
        { path: 'metrics.json', hash: 'md5', md5: md5Bytes('{"auc": 0.9}'), size: 12 },
        { path: 'out/model.bin', hash: 'md5', md5: md5Bytes('weights'), size: 7 },
      ],
    });
    const cached = (oid: string): Promise<boolean> => exists(path.join(repo.root, '.dvc/cache/files/md5', oid.slice(0, 2), oid.slice(2)));
    expect(await cached(md5Bytes('weights'))).toBe(true);
    expect(await cached(md5Bytes('{"auc": 0.9}'))).toBe(false);
    expect((await commit({ repoRoot: repo.root, logger })).changed).toEqual([]);
  });

  it('names the missing parameter and the file', async () => {
    await writeFile(path.join(repo.root, 'params.yaml'), 'train:\n  lr: 0.001\n');
    await expect(commit({ repoRoot: repo.root, logger })).rejects.toMatchObject({ code: 'bad_pipeline', message: expect.stringContaining("parameter 'prepare.seed' is missing from params.yaml") });
  });

  it('says which output is missing and what to do', async () => {
    await writeFile(path.join(repo.root, 'dvc.yaml'), 'stages:\n  train:\n    cmd: x\n    outs:\n    - out/nope.bin\n');
    await expect(commit({ repoRoot: repo.root, logger })).rejects.toMatchObject({ code: 'bad_pipeline', hint: expect.stringContaining('run the stage first') });
  });

  it('reports stages whose deps, params, outs or cmd moved away from dvc.lock, in DVC\'s shape', async () => {
    await commit({ repoRoot: repo.root, logger });
    expect((await status({ repoRoot: repo.root, logger })).clean).toBe(true);
    await writeFile(path.join(repo.root, 'params.yaml'), 'prepare:\n  seed: 42\ntrain:\n  lr: 0.01\n  epochs: 1\n');
    await writeFile(path.join(repo.root, 'prepare.js'), 'console.log(2)\n');
    await rm(path.join(repo.root, 'out/model.bin'));
    const dvcYaml = await readFile(path.join(repo.root, 'dvc.yaml'), 'utf8');
    await writeFile(path.join(repo.root, 'dvc.yaml'), dvcYaml.replace('cmd: node prepare.js', 'cmd: node prepare.js --fast'));
    const s = await status({ repoRoot: repo.root, logger });
    expect(s.status).toEqual({
      train: [{ 'changed deps': { 'prepare.js': 'modified', 'params.yaml': { train: 'modified' } } }, { 'changed outs': { 'out/model.bin': 'deleted' } }, 'changed command'],
    });
    expect(s.lines).toEqual([
      'train:',
      '\tchanged deps:',
      '\t\tmodified:           prepare.js',
      '\t\tparams.yaml:',
      '\t\t\tmodified:           train',
      '\tchanged outs:',
      '\t\tdeleted:            out/model.bin',
      '\tchanged command',
    ]);
  });
});
