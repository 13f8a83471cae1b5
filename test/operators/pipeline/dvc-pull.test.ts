// DvcPullOperator on a real DVC repo (src/dvc add/push to a folder remote): pulls into an empty workspace; a missing
// or corrupt remote object, or a remote nobody answers at, fails the attempt clearly and leaves the data in place.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { add, dvcCliAvailable, push } from '../../../src/dvc/index.js';
import { DAG } from '../../../src/engine/index.js';
import { DvcPullOperator } from '../../../src/operators/dvc-pull.js';
import { cleanup, makeProject, runTask, silent, type TestProject } from '../../fixtures/pipeline/harness.js';
import { closedPort } from '../../notify/sinks.js';

afterAll(cleanup);

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** Relative path -> md5 of every file under the workspace data folder. */
async function snapshot(p: TestProject): Promise<Record<string, string>> {
  const dir = path.join(p.root, 'data', 'chest_xray');
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[path.relative(dir, path.join(e.parentPath, e.name))] = md5(await readFile(path.join(e.parentPath, e.name)));
  }
  return out;
}

function pullTask(p: TestProject) {
  const dag = new DAG({ dagId: 'pull_test', schedule: null });
  return dag.add(new DvcPullOperator({ taskId: 'dvc_pull', project: p.project }));
}

/**
 * "New data arrived" on another machine: version 2 (one more image) is added and pushed, the pointer here moves to
 * it, while this workspace still holds version 1 and has no cache. Returns the new image's remote object.
 */
async function newVersionElsewhere(p: TestProject): Promise<{ object: string; before: Record<string, string> }> {
  const before = await snapshot(p);
  const extra = path.join(p.root, 'data', 'chest_xray', 'train', 'NORMAL', 'extra.jpeg');
  const bytes = Buffer.concat([await readFile(path.join(p.root, 'data', 'chest_xray', 'test', 'NORMAL', (await readdir(path.join(p.root, 'data', 'chest_xray', 'test', 'NORMAL')))[0]!)), Buffer.from('new batch')]);
  await writeFile(extra, bytes);
  await add('data/chest_xray', { repoRoot: p.root, logger: silent });
  await push({ repoRoot: p.root, logger: silent });
  await unlink(extra);
  await rm(path.join(p.root, '.dvc', 'cache'), { recursive: true, force: true });
  const h = md5(bytes);
  return { object: path.join(p.remote, 'files', 'md5', h.slice(0, 2), h.slice(2)), before };
}

describe('dvc_pull', { timeout: 180_000 }, () => {
  it('pulls the pointed-to version into an empty workspace and returns the tool, summary and data version', async () => {
    const p = await makeProject();
    const expected = await snapshot(p);
    await rm(path.join(p.root, 'data', 'chest_xray'), { recursive: true });
    await rm(path.join(p.root, '.dvc', 'cache'), { recursive: true });
    const r = await runTask(pullTask(p), { home: p.home });
    expect(r.result.outcome, r.log).toBe('success');
    expect(await snapshot(p)).toEqual(expected);
    expect(r.value).toMatchObject({ data_version: p.version, tool: (await dvcCliAvailable()) ? 'dvc' : 'built-in' });
    expect((r.value as { summary: string }).summary).toMatch(/20 files fetched/);
    expect(r.log).toMatch(/INFO - A\tdata[\\/]chest_xray/);
  });

  it('fails naming the missing remote object and leaves the previous workspace intact', async () => {
    const p = await makeProject();
    const { object, before } = await newVersionElsewhere(p);
    await unlink(object);
    const r = await runTask(pullTask(p), { home: p.home });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toContain('missing from remote');
    expect(r.error).toContain(path.join('train', 'NORMAL', 'extra.jpeg'));
    expect(await snapshot(p)).toEqual(before);
  });

  it('fails on an md5 mismatch of a remote object and leaves the previous workspace intact', async () => {
    const p = await makeProject();
    const { object, before } = await newVersionElsewhere(p);
    await writeFile(object, 'bit rot');
    const r = await runTask(pullTask(p), { home: p.home });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toContain('fail md5 verification');
    expect(r.error).toContain('extra.jpeg');
    expect(await snapshot(p)).toEqual(before);
  });

  it('fails clearly when the HTTP remote does not answer, leaving the workspace as it was', async () => {
    const p = await makeProject();
    const { before } = await newVersionElsewhere(p);
    const url = `http://127.0.0.1:${await closedPort()}/dvc-store`;
    await writeFile(path.join(p.root, '.dvc', 'config'), `[core]\n    no_scm = True\n    remote = store\n['remote "store"']\n    url = ${url}\n`);
    const r = await runTask(pullTask(p), { home: p.home });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toContain(`remote 'store' (${url}) is unreachable`);
    expect(await snapshot(p)).toEqual(before);
  });
});
