import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidModelFolderError,
  ModelVersionNotFoundError,
  NoChampionError,
  NothingToRollBackError,
  openRegistry,
} from '../../src/registry/index.js';
import { FIXTURE_MODEL, makeModel, silent, tempDir } from './helpers.js';

const by = { by: 'tester', reason: 'test' };

describe('registry: versions', () => {
  it('copies a model folder into versions/<n> with version.json, numbering from 1', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    const v1 = await reg.register(FIXTURE_MODEL, { runId: 'run-1', mlflowRunId: 'abc', tags: { k: 'v' }, now: new Date('2026-01-02T03:04:05Z') });
    expect(v1.version).toBe(1);
    expect(v1.dir).toBe(path.join(home, 'registry', 'pneumonia', 'versions', '1'));
    expect(await fs.readFile(path.join(v1.dir, 'weights.bin'))).toEqual(Buffer.from([0, 1, 2, 3]));
    expect(await fs.readFile(path.join(v1.dir, 'plots', 'roc.svg'), 'utf8')).toContain('<svg');
    const record = JSON.parse(await fs.readFile(path.join(v1.dir, 'version.json'), 'utf8'));
    expect(record).toMatchObject({
      version: 1,
      created_at: '2026-01-02T03:04:05.000Z',
      source: FIXTURE_MODEL,
      run_id: 'run-1',
      mlflow_run_id: 'abc',
      data_version: '3f1c2a9d0b7e4c55a1e2f3b4c5d6e7f8.dir',
      tags: { k: 'v' },
    });
    expect(record.metrics.auc).toBe(0.941);
    const v2 = await reg.register(FIXTURE_MODEL, { dataVersion: null });
    expect(v2.version).toBe(2);
    expect(v2.data_version).toBeNull();
    expect((await reg.list()).map((v) => v.version)).toEqual([1, 2]);
    expect(await fs.readdir(path.join(home, 'registry', 'pneumonia', '.staging'))).toEqual([]);
  });

  it('refuses a folder without model.json or metadata.json and leaves no version behind', async () => {
    const home = await tempDir();
    const broken = path.join(home, 'broken');
    await fs.cp(FIXTURE_MODEL, broken, { recursive: true });
    await fs.rm(path.join(broken, 'metadata.json'));
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    const err = await reg.register(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidModelFolderError);
    expect((err as InvalidModelFolderError).message).toContain('metadata.json');
    expect((err as InvalidModelFolderError).hint).toMatch(/dagctl train/);
    expect(await reg.list()).toEqual([]);
  });

  it('gives distinct versions to concurrent registrations', async () => {
    const home = await tempDir();
    const root = path.join(home, 'registry');
    // Separate Registry objects, as separate processes would have.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => openRegistry({ root, logger: silent }).register(FIXTURE_MODEL, { runId: `r${i}` })),
    );
    expect(results.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const runIds = (await openRegistry({ root, logger: silent }).list()).map((v) => v.run_id).sort();
    expect(runIds).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
  });

  it('reports an unknown version with the known ones in the hint', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    await reg.register(FIXTURE_MODEL);
    const err = await reg.get(7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelVersionNotFoundError);
    expect((err as ModelVersionNotFoundError).hint).toContain('known versions: 1');
    await expect(reg.promote(7, by)).rejects.toBeInstanceOf(ModelVersionNotFoundError);
  });
});

describe('registry: promotion and rollback', () => {
  it('promotes, marks the champion in list() and records who, when and why', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    await reg.register(await makeModel(home, 'a', { auc: 0.9 }));
    await reg.register(await makeModel(home, 'b', { auc: 0.95 }));
    expect(await reg.champion()).toBeNull();
    const p1 = await reg.promote(1, { by: 'pipeline', reason: 'first model', now: new Date('2026-01-01T00:00:00Z') });
    expect(p1).toEqual({ version: 1, previous_version: null, promoted_at: '2026-01-01T00:00:00.000Z', promoted_by: 'pipeline', reason: 'first model', action: 'promote' });
    const p2 = await reg.promote(2, { by: 'alice', reason: 'auc +0.05', now: new Date('2026-01-02T00:00:00Z') });
    expect(p2.previous_version).toBe(1);
    const list = await reg.list();
    expect(list.map((v) => [v.version, v.is_champion, v.promoted_at])).toEqual([
      [1, false, '2026-01-01T00:00:00.000Z'],
      [2, true, '2026-01-02T00:00:00.000Z'],
    ]);
    expect((await reg.champion())?.metrics.auc).toBe(0.95);
    const champFile = JSON.parse(await fs.readFile(path.join(reg.dir, 'champion.json'), 'utf8'));
    expect(champFile).toEqual(p2);
    expect((await reg.history()).map((p) => [p.action, p.version, p.promoted_by, p.reason])).toEqual([
      ['promote', 1, 'pipeline', 'first model'],
      ['promote', 2, 'alice', 'auc +0.05'],
    ]);
  });

  it('treats promoting the current champion again as a no-op (a retried deploy)', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    await reg.register(FIXTURE_MODEL);
    const first = await reg.promote(1, by);
    expect(await reg.promote(1, { by: 'other', reason: 'again' })).toEqual(first);
    expect(await reg.history()).toHaveLength(1);
  });

  it('rolls back through previous champions in order, then says there is nothing left', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    for (let i = 0; i < 3; i++) await reg.register(FIXTURE_MODEL);
    await expect(reg.rollback(by)).rejects.toBeInstanceOf(NothingToRollBackError);
    await reg.promote(1, by);
    await reg.promote(2, by);
    await reg.promote(3, by);
    const r1 = await reg.rollback({ by: 'ops', reason: 'v3 misbehaves' });
    expect(r1).toMatchObject({ version: 2, previous_version: 3, action: 'rollback', promoted_by: 'ops', reason: 'v3 misbehaves' });
    expect((await reg.rollback(by)).version).toBe(1);
    const err = await reg.rollback(by).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NothingToRollBackError);
    expect((err as NothingToRollBackError).message).toContain('version 1 is the first champion');
    expect((await reg.champion())?.version).toBe(1);
  });

  it('resolves champion, a version number and a folder', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    await expect(reg.resolve('champion')).rejects.toBeInstanceOf(NoChampionError);
    const v1 = await reg.register(FIXTURE_MODEL);
    await reg.register(FIXTURE_MODEL);
    await reg.promote(2, by);
    expect(await reg.resolve('champion')).toEqual({ dir: path.join(reg.dir, 'versions', '2'), version: 2 });
    expect(await reg.resolve('1')).toEqual({ dir: v1.dir, version: 1 });
    expect(await reg.resolve('v1')).toEqual({ dir: v1.dir, version: 1 });
    expect(await reg.resolve(FIXTURE_MODEL)).toEqual({ dir: FIXTURE_MODEL, version: null });
    await expect(reg.resolve(home)).rejects.toBeInstanceOf(InvalidModelFolderError);
    await expect(reg.resolve('9')).rejects.toBeInstanceOf(ModelVersionNotFoundError);
  });
});
