import { chmod, copyFile, cp, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add, checkout, CorruptObjectError, dataVersion, MissingObjectError, pull, push, RemoteUnreachableError, status, MissingCacheError } from '../../src/dvc/index.js';
import { md5Bytes } from '../../src/dvc/hash.js';
import { logger, snapshot, tempRepo, writeConfig, XRAY_FIXTURES, type TempRepo } from './helpers.js';

let repo: TempRepo;
const opts = (): { repoRoot: string; logger: typeof logger } => ({ repoRoot: repo.root, logger });
const data = (): string => path.join(repo.root, 'data', 'xray');
const remoteObject = (oid: string): string => path.join(repo.remoteDir, 'files', 'md5', oid.slice(0, 2), oid.slice(2));

beforeEach(async () => {
  repo = await tempRepo();
});
afterEach(() => repo.cleanup());

/** Adds and pushes the fixtures, then deletes workspace data and cache: a fresh clone. */
async function pushedThenCloned(): Promise<{ before: Record<string, string> }> {
  const before = await snapshot(data());
  await add('data/xray', opts());
  await push(opts());
  await rm(data(), { recursive: true });
  await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
  return { before };
}

describe('add', () => {
  it('writes data/xray.dvc, read-only cache objects and a .gitignore line, like dvc add', async () => {
    const r = await add('data/xray', opts());
    expect(r).toMatchObject({ dvcFile: 'data/xray.dvc', path: 'data/xray', nfiles: 3, gitignore: 'data/.gitignore' });
    expect(r.md5).toMatch(/^[0-9a-f]{32}\.dir$/);
    const text = await readFile(path.join(repo.root, 'data/xray.dvc'), 'utf8');
    expect(text).toBe(`outs:\n- md5: ${r.md5}\n  size: ${r.size}\n  nfiles: 3\n  hash: md5\n  path: xray\n`);
    expect(await readFile(path.join(repo.root, 'data/.gitignore'), 'utf8')).toBe('/xray\n');
    const manifest = JSON.parse(await readFile(path.join(repo.root, '.dvc/cache/files/md5', r.md5.slice(0, 2), r.md5.slice(2)), 'utf8')) as Array<{ md5: string; relpath: string }>;
    expect(manifest.map((e) => e.relpath)).toEqual(['NORMAL/NORMAL2-IM-0771-0001.jpeg', 'NORMAL/NORMAL2-IM-1385-0001.jpeg', 'PNEUMONIA/person1927_bacteria_4836.jpeg']);
    const first = manifest[0] as { md5: string };
    const mode = (await stat(path.join(repo.root, '.dvc/cache/files/md5', first.md5.slice(0, 2), first.md5.slice(2)))).mode & 0o777;
    expect(mode).toBe(0o444);
    expect(await dataVersion(path.join(repo.root, 'data/xray.dvc'))).toBe(r.md5);
    // a second add changes nothing and does not duplicate the .gitignore line
    expect((await add('data/xray', opts())).md5).toBe(r.md5);
    expect(await readFile(path.join(repo.root, 'data/.gitignore'), 'utf8')).toBe('/xray\n');
  });
});

describe('push and pull with a local folder remote', () => {
  it('pushes every file once, then reports everything up to date', async () => {
    await add('data/xray', opts());
    expect((await push(opts())).summary).toBe('3 files pushed');
    expect((await push(opts())).summary).toBe('Everything is up to date.');
    expect((await status({ ...opts(), cloud: true })).lines).toEqual(["Cache and remote 'store' are in sync."]);
  });

  it('restores a fresh clone byte for byte with DVC output lines', async () => {
    const { before } = await pushedThenCloned();
    const r = await pull(opts());
    expect(r.lines).toEqual(['A\tdata/xray/']);
    expect(r.summary).toBe('3 files fetched and 1 file added');
    expect(await snapshot(data())).toEqual(before);
    expect((await pull(opts())).summary).toBe('Everything is up to date.');
    expect((await status(opts())).lines).toEqual(['Data and pipelines are up to date.']);
  });

  it('switches the workspace to another data version (M) and keeps unchanged files', async () => {
    const v1 = await add('data/xray', opts());
    await push(opts());
    const v1File = await readFile(path.join(repo.root, 'data/xray.dvc'), 'utf8');
    await copyFile(path.join(XRAY_FIXTURES, 'NORMAL/NORMAL2-IM-0771-0001.jpeg'), path.join(data(), 'NORMAL/new-arrival.jpeg'));
    const v2 = await add('data/xray', opts());
    expect(v2.nfiles).toBe(4);
    expect(v2.md5).not.toBe(v1.md5);
    await writeFile(path.join(repo.root, 'data/xray.dvc'), v1File);
    expect((await status(opts())).status).toEqual({ 'data/xray.dvc': [{ 'changed outs': { 'data/xray': 'modified' } }] });
    const r = await pull(opts());
    expect(r).toMatchObject({ lines: ['M\tdata/xray/'], summary: '1 file modified' });
    expect(Object.keys(await snapshot(data()))).toHaveLength(3);
  });

  it('refuses to overwrite workspace files that exist nowhere else unless forced', async () => {
    await add('data/xray', opts());
    await writeFile(path.join(data(), 'NORMAL/unsaved.jpeg'), 'not yet added');
    await expect(pull(opts())).rejects.toMatchObject({ code: 'workspace_changed', hint: expect.stringContaining('dagctl dvc add data/xray') });
    expect(await readFile(path.join(data(), 'NORMAL/unsaved.jpeg'), 'utf8')).toBe('not yet added');
    expect((await pull({ ...opts(), force: true })).lines).toEqual(['M\tdata/xray/']);
  });

  it('refuses to push data whose objects are not in the cache', async () => {
    await add('data/xray', opts());
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    await expect(push(opts())).rejects.toBeInstanceOf(MissingCacheError);
  });
});

describe('pull failures leave the previous workspace data intact', () => {
  it('fails on an object missing from the remote, naming the file and the fix', async () => {
    const dvcFile = path.join(repo.root, 'data/xray.dvc');
    await add('data/xray', opts());
    await push(opts());
    const v1Dvc = await readFile(dvcFile, 'utf8');
    await writeFile(path.join(data(), 'PNEUMONIA/extra.jpeg'), 'a new image whose upload got lost');
    await add('data/xray', opts());
    const v2Dvc = await readFile(dvcFile, 'utf8');
    await push(opts());
    await unlink(remoteObject(md5Bytes('a new image whose upload got lost')));
    // a clone at v1 (cache empty), then git brings in v2's .dvc file
    await writeFile(dvcFile, v1Dvc);
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    await rm(data(), { recursive: true });
    await pull(opts());
    const v1Workspace = await snapshot(data());
    expect(Object.keys(v1Workspace)).toHaveLength(3);
    await writeFile(dvcFile, v2Dvc);
    const err = await pull(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingObjectError);
    expect(err).toMatchObject({ code: 'missing_object', exitCode: 1, hint: expect.stringContaining('dagctl dvc push') });
    expect((err as Error).message).toContain('data/xray/PNEUMONIA/extra.jpeg');
    expect(await snapshot(data())).toEqual(v1Workspace);
  });

  it('fails when the .dir manifest itself was never pushed', async () => {
    await add('data/xray', opts());
    const before = await snapshot(data());
    await mkdir(repo.remoteDir);
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    const err = await pull({ ...opts(), force: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingObjectError);
    expect((err as Error).message).toMatch(/data\/xray \([0-9a-f]{32}\.dir\)/);
    expect(await snapshot(data())).toEqual(before);
  });

  it('fails on a corrupt remote object (md5 mismatch) and keeps it out of the cache', async () => {
    const { before } = await pushedThenCloned();
    await pull(opts());
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    const manifestOid = await dataVersion(path.join(repo.root, 'data/xray.dvc'));
    const oid = (JSON.parse(await readFile(remoteObject(manifestOid), 'utf8')) as Array<{ md5: string }>)[1]?.md5 as string;
    await chmod(remoteObject(oid), 0o644);
    await writeFile(remoteObject(oid), 'bit rot');
    await rm(data(), { recursive: true });
    await cp(XRAY_FIXTURES, data(), { recursive: true });
    const err = await pull({ ...opts(), force: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptObjectError);
    expect((err as Error).message).toContain(oid);
    expect(await snapshot(data())).toEqual(before);
    await expect(stat(path.join(repo.root, '.dvc/cache/files/md5', oid.slice(0, 2), oid.slice(2)))).rejects.toThrow();
  });

  it('fails clearly when the remote folder does not exist', async () => {
    await add('data/xray', opts());
    const before = await snapshot(data());
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    await writeConfig(repo.root, '../../no-such-remote');
    const err = await pull(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteUnreachableError);
    expect(err).toMatchObject({ code: 'remote_unreachable', exitCode: 1 });
    expect(await snapshot(data())).toEqual(before);
  });

  it('recovers from a crash between the two renames of a swap: the parked copy comes back', async () => {
    await add('data/xray', opts());
    const before = await snapshot(data());
    await rename(data(), path.join(repo.root, 'data', '.xray.dvc-old-abc123'));
    await mkdir(path.join(repo.root, 'data', '.xray.dvc-tmp-def456', 'NORMAL'), { recursive: true });
    await writeFile(path.join(repo.root, 'data', '.xray.dvc-tmp-def456', 'NORMAL', 'half.jpeg'), 'half-written');
    const r = await pull(opts());
    expect(r.summary).toBe('Everything is up to date.');
    expect(await snapshot(data())).toEqual(before);
    expect((await readdir(path.join(repo.root, 'data'))).sort()).toEqual(['.gitignore', 'xray', 'xray.dvc']);
  });

  it('checks out from the cache alone, and refuses when an object is not cached', async () => {
    await add('data/xray', opts());
    const before = await snapshot(data());
    await rm(path.join(data(), 'NORMAL'), { recursive: true });
    expect(await checkout(opts())).toMatchObject({ lines: ['M\tdata/xray/'], summary: '1 file modified' });
    expect(await snapshot(data())).toEqual(before);
    expect((await checkout(opts())).summary).toBe('');
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    await rm(data(), { recursive: true });
    await expect(checkout(opts())).rejects.toMatchObject({ code: 'missing_cache', hint: expect.stringContaining('dagctl dvc pull') });
  });
});
