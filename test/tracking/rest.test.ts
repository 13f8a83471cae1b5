import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowApiError, MlflowUnreachableError, openTrackingStore, type MetricPoint } from '../../src/tracking/index.js';
import { startFakeMlflow, type FakeMlflow } from './fake-mlflow.js';
import { artifactDir, memoryLogger, silent, tempDir } from './helpers.js';

let fake: FakeMlflow | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('tracking: REST client against a fake MLflow server', () => {
  it('creates the experiment once, then runs, batches, artifacts, status and the registry mirror', async () => {
    fake = await startFakeMlflow();
    const home = await tempDir();
    const store = await openTrackingStore({ trackingUri: fake.url, fileRoot: path.join(home, 'mlruns'), logger: silent });
    expect(store.kind).toBe('rest');

    const exp = await store.getOrCreateExperiment('pneumonia');
    expect(await store.getOrCreateExperiment('pneumonia')).toBe(exp);
    expect(fake.requests.filter((r) => r.path === '/api/2.0/mlflow/experiments/create')).toHaveLength(1);

    const { runId, artifactUri } = await store.createRun(exp, { runName: 'train-2026-01-01', tags: { dag_id: 'continuous_retraining' }, startTime: 1000 });
    expect(artifactUri).toBe(`mlflow-artifacts:/${exp}/${runId}/artifacts`);
    const run = fake.runs.get(runId);
    expect(run?.info.run_name).toBe('train-2026-01-01');
    expect(run?.tags.get('dag_id')).toBe('continuous_retraining');
    expect(run?.tags.get('mlflow.source.type')).toBe('LOCAL');

    const metrics: MetricPoint[] = Array.from({ length: 2500 }, (_, i) => ({ key: `loss_${i % 3}`, value: i / 10, timestamp: 5000 + i, step: i }));
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, String(i)]));
    const tags = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`t${i}`, 'x']));
    await store.logBatch(runId, { metrics, params, tags });
    const batches = fake.requests.filter((r) => r.path.endsWith('runs/log-batch')).map((r) => r.body as { metrics: unknown[]; params: unknown[]; tags: unknown[] });
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const b of batches) {
      expect(b.metrics.length).toBeLessThanOrEqual(1000);
      expect(b.params.length).toBeLessThanOrEqual(100);
      expect(b.tags.length).toBeLessThanOrEqual(100);
      expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(run?.metrics).toHaveLength(2500);
    expect(run?.metrics[2499]).toEqual({ key: 'loss_0', value: 249.9, timestamp: 7499, step: 2499 });
    expect(run?.params.size).toBe(150);
    expect(run?.tags.get('t119')).toBe('x');

    await store.logArtifacts(runId, await artifactDir(home), 'model');
    expect([...fake.artifacts.keys()].sort()).toEqual([`${exp}/${runId}/artifacts/model/model.json`, `${exp}/${runId}/artifacts/model/plots/roc curve.svg`]);
    expect(fake.artifacts.get(`${exp}/${runId}/artifacts/model/model.json`)?.toString()).toBe('{"format":"layers-model"}');

    await store.setTerminated(runId, 'FINISHED', 9999);
    expect(run?.info).toMatchObject({ status: 'FINISHED', end_time: 9999 });

    await store.createRegisteredModel('pneumonia');
    await store.createRegisteredModel('pneumonia'); // RESOURCE_ALREADY_EXISTS is fine
    expect(await store.createModelVersion('pneumonia', `runs:/${runId}/model`, runId)).toBe('1');
    expect(await store.createModelVersion('pneumonia', `runs:/${runId}/model`, runId)).toBe('2');
    await store.setAlias('pneumonia', 'champion', '1');
    await store.setAlias('pneumonia', 'champion', '2');
    await store.setModelVersionTag('pneumonia', '2', 'promoted_by', 'pipeline');
    const model = fake.models.get('pneumonia');
    expect(model?.aliases.get('champion')).toBe('2');
    expect(model?.versions[1]).toMatchObject({ source: `runs:/${runId}/model`, run_id: runId, tags: { promoted_by: 'pipeline' } });
    expect(store.getRunUrl(exp, runId)).toBe(`${fake.url}/#/experiments/${exp}/runs/${runId}`);
  });

  it('copies artifacts when the server stores them in a local file:// folder', async () => {
    const home = await tempDir();
    const artifactRoot = path.join(home, 'server-artifacts');
    await fs.mkdir(artifactRoot);
    fake = await startFakeMlflow({ artifactUri: (e, r) => pathToFileURL(path.join(artifactRoot, e, r, 'artifacts')).href });
    const store = await openTrackingStore({ trackingUri: fake.url, fileRoot: path.join(home, 'mlruns'), logger: silent });
    const { runId } = await store.createRun(await store.getOrCreateExperiment('x'));
    await fs.mkdir(path.join(artifactRoot, '1', runId), { recursive: true });
    await store.logArtifacts(runId, await artifactDir(home));
    expect(await fs.readFile(path.join(artifactRoot, '1', runId, 'artifacts', 'plots', 'roc curve.svg'), 'utf8')).toBe('<svg/>');
    expect(fake.artifacts.size).toBe(0);
  });

  it('refuses artifact locations it cannot write, and tracking URIs it cannot speak, with hints', async () => {
    fake = await startFakeMlflow({ artifactUri: (e, r) => `s3://bucket/${e}/${r}/artifacts` });
    const home = await tempDir();
    const store = await openTrackingStore({ trackingUri: fake.url, fileRoot: path.join(home, 'mlruns'), logger: silent });
    const { runId } = await store.createRun(await store.getOrCreateExperiment('x'));
    const err = await store.logArtifacts(runId, await artifactDir(home)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unsupported_artifact_uri' });
    expect((err as { hint: string }).hint).toContain('--serve-artifacts');
    await expect(openTrackingStore({ trackingUri: 'sqlite:///mlflow.db', fileRoot: home, logger: silent })).rejects.toMatchObject({ code: 'unsupported_tracking_uri' });
  });

  it('turns MLflow error answers into MlflowApiError with the error_code', async () => {
    fake = await startFakeMlflow();
    const store = await openTrackingStore({ trackingUri: fake.url, fileRoot: '/nonexistent', logger: silent });
    const { runId } = await store.createRun(await store.getOrCreateExperiment('x'));
    await store.logBatch(runId, { params: { lr: '0.001' } });
    const err = await store.logBatch(runId, { params: { lr: '0.01' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowApiError);
    expect((err as MlflowApiError).error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as MlflowApiError).status).toBe(400);
    expect((err as MlflowApiError).hint).toMatch(/params cannot change/);
    await expect(store.setAlias('missing', 'champion', '1')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });
});

describe('tracking: unreachable server', () => {
  async function closedPortUrl(): Promise<string> {
    const s = createServer();
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((r) => s.close(() => r()));
    return `http://127.0.0.1:${port}`;
  }

  it("falls back to the file store with a warning in 'fallback' mode", async () => {
    const home = await tempDir();
    const { logger, records } = memoryLogger();
    const store = await openTrackingStore({ trackingUri: await closedPortUrl(), fileRoot: path.join(home, 'mlruns'), onUnreachable: 'fallback', logger });
    expect(store.kind).toBe('file');
    expect(store.uri).toBe(path.join(home, 'mlruns'));
    const warn = records.find((r) => r.msg === 'mlflow.unreachable.falling_back_to_file_store');
    expect(warn?.level).toBe(40);
    const { runId } = await store.createRun(await store.getOrCreateExperiment('x'));
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("fails with MlflowUnreachableError and a hint in 'fail' mode", async () => {
    const url = await closedPortUrl();
    const err = await openTrackingStore({ trackingUri: url, fileRoot: '/unused', onUnreachable: 'fail', logger: silent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowUnreachableError);
    expect((err as MlflowUnreachableError).message).toContain(url);
    expect((err as MlflowUnreachableError).message).toContain('ECONNREFUSED');
    expect((err as MlflowUnreachableError).hint).toContain('MLFLOW_TRACKING_URI');
  });

  it('treats a server that never answers as unreachable after the timeout', async () => {
    const hang = createServer(() => undefined); // accepts, never replies
    hang.listen(0, '127.0.0.1');
    await once(hang, 'listening');
    try {
      const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
      const err = await openTrackingStore({ trackingUri: url, fileRoot: '/unused', onUnreachable: 'fail', timeoutMs: 150, logger: silent }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MlflowUnreachableError);
      expect((err as Error).message).toContain('no answer within 150 ms');
    } finally {
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });
});
