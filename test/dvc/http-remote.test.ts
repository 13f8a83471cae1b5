import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add, CorruptObjectError, MissingObjectError, pull, push, RemoteUnreachableError, status } from '../../src/dvc/index.js';
import { closedPort, startHttpRemote, type TestHttpRemote } from './http-server.js';
import { logger, snapshot, tempRepo, writeConfig, type TempRepo } from './helpers.js';

let repo: TempRepo;
let server: TestHttpRemote;
const opts = (): { repoRoot: string; logger: typeof logger } => ({ repoRoot: repo.root, logger });
const data = (): string => path.join(repo.root, 'data', 'xray');
const served = (oid: string): string => path.join(repo.remoteDir, 'dvcstore', 'files', 'md5', oid.slice(0, 2), oid.slice(2));

beforeEach(async () => {
  repo = await tempRepo();
  server = await startHttpRemote(repo.remoteDir);
  await writeConfig(repo.root, server.url);
});
afterEach(async () => {
  await server.close();
  await repo.cleanup();
});

async function addPushAndWipe(): Promise<{ md5: string; before: Record<string, string> }> {
  const before = await snapshot(data());
  const { md5 } = await add('data/xray', opts());
  await push(opts());
  await rm(data(), { recursive: true });
  await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
  return { md5, before };
}

describe('HTTP remote', () => {
  it('uploads with POST to files/md5/XX/REST, the .dir manifest last, and pulls back byte for byte', async () => {
    const { md5, before } = await addPushAndWipe();
    const uploads = server.requests.filter((r) => r.method === 'POST');
    expect(uploads).toHaveLength(4);
    expect(uploads.at(-1)?.path).toBe(`/dvcstore/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`);
    expect(uploads.every((u) => /^\/dvcstore\/files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/.test(u.path))).toBe(true);
    const r = await pull(opts());
    expect(r).toMatchObject({ lines: ['A\tdata/xray/'], summary: '3 files fetched and 1 file added', remote: 'store' });
    expect(await snapshot(data())).toEqual(before);
    expect((await status({ ...opts(), cloud: true })).clean).toBe(true);
  });

  it('uses PUT when the remote says method = PUT', async () => {
    await writeConfig(repo.root, server.url, '    method = PUT\n');
    await add('data/xray', opts());
    expect((await push(opts())).summary).toBe('3 files pushed');
    expect(server.requests.filter((r) => r.method === 'PUT')).toHaveLength(4);
    expect(server.requests.some((r) => r.method === 'POST')).toBe(false);
  });

  it('reports objects only in the cache as new in status -c', async () => {
    await add('data/xray', opts());
    const s = await status({ ...opts(), cloud: true });
    expect(s.clean).toBe(false);
    expect(Object.values(s.status)).toEqual(['new', 'new', 'new', 'new']);
    expect(s.lines[0]).toMatch(/^\tnew: {16}data\/xray/);
  });

  it('fails on an object the server does not have (404) and leaves the workspace alone', async () => {
    const { md5 } = await addPushAndWipe();
    const manifest = JSON.parse(await readFile(served(md5), 'utf8')) as Array<{ md5: string; relpath: string }>;
    const gone = manifest[2] as { md5: string; relpath: string };
    await rm(served(gone.md5));
    const err = await pull(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingObjectError);
    expect((err as Error).message).toContain(`data/xray/${gone.relpath}`);
    await expect(readFile(path.join(data(), gone.relpath))).rejects.toThrow();
  });

  it('fails on a corrupt object served over HTTP and leaves the workspace alone', async () => {
    const { md5, before } = await addPushAndWipe();
    await pull(opts());
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    const manifest = JSON.parse(await readFile(served(md5), 'utf8')) as Array<{ md5: string }>;
    const victim = (manifest[0] as { md5: string }).md5;
    await writeFile(served(victim), 'corrupted in transit');
    const err = await pull(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptObjectError);
    expect(err).toMatchObject({ code: 'corrupt_object', hint: expect.stringContaining('re-push') });
    expect((err as Error).message).toContain(victim);
    expect(await snapshot(data())).toEqual(before);
  });

  it('fails with remote_unreachable on a closed port and keeps the old data', async () => {
    const { before } = await addPushAndWipe();
    await pull(opts());
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    await writeConfig(repo.root, `http://127.0.0.1:${await closedPort()}/dvcstore`);
    const err = await pull(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteUnreachableError);
    expect(err).toMatchObject({ code: 'remote_unreachable', exitCode: 1 });
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect(await snapshot(data())).toEqual(before);
    await add('data/xray', opts());
    await expect(push(opts())).rejects.toBeInstanceOf(RemoteUnreachableError);
  });

  it('stops when the task is cancelled (AbortSignal) without touching the workspace', async () => {
    const { before } = await addPushAndWipe();
    await pull(opts());
    await rm(path.join(repo.root, '.dvc', 'cache'), { recursive: true });
    const controller = new AbortController();
    controller.abort(new Error('task timed out'));
    await expect(pull({ ...opts(), signal: controller.signal })).rejects.toThrow('task timed out');
    expect(await snapshot(data())).toEqual(before);
  });

  it('turns a 403 on upload into remote_error with a credentials hint', async () => {
    const strict = await startHttpRemote(repo.remoteDir, { rejectWrites: 403 });
    try {
      await writeConfig(repo.root, strict.url);
      await add('data/xray', opts());
      await expect(push(opts())).rejects.toMatchObject({ code: 'remote_error', message: expect.stringContaining('403'), hint: expect.stringContaining('credentials') });
    } finally {
      await strict.close();
    }
  });
});
