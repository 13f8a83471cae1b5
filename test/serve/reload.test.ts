import { once } from 'node:events';
import * as tf from '@tensorflow/tfjs-core';
import { truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../src/registry/index.js';
import type { ReloadFailure } from '../../src/serve/reloader.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { championSource } from '../../src/serve/source.js';
import { fixture, tempDir, testLogger, writeTinyModel, json } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let registry: Registry;
let server: RunningServer;
const by = { by: 'test', reason: 'hot reload test' };

async function predict(): Promise<{ status: number; model_version: number; probabilities: { PNEUMONIA: number } }> {
  const res = await fetch(`${server.url}/predict`, { method: 'POST', body: await fixture('pneumonia-1.jpeg'), headers: { 'content-type': 'image/jpeg' } });
  return { status: res.status, ...(await json(res)) };
}

async function register(name: string, seed: number): Promise<number> {
  return (await registry.register(await writeTinyModel(path.join(dir, name), { seed }), {})).version;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  registry = openRegistry({ root: path.join(dir, 'registry'), logger: testLogger() });
  await registry.promote(await register('m1', 1), by);
  server = await startServer({ source: championSource(registry), logger: testLogger(), port: 0, processMetrics: false });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('hot reload from the registry champion', () => {
  it('switches to a newly promoted version without a restart, and requests in flight all succeed', async () => {
    const before = await predict();
    expect(before.model_version).toBe(1);
    const tensorsBefore = tf.memory().numTensors;
    const v2 = await register('m2', 2);
    const loaded = once(server.reloader, 'loaded');
    const inFlight = Array.from({ length: 8 }, () => predict());
    await registry.promote(v2, by);
    const results = await Promise.all(inFlight);
    await loaded;
    for (const r of results) {
      expect(r.status).toBe(200);
      expect([1, 2]).toContain(r.model_version);
    }
    const after = await predict();
    expect(after.model_version).toBe(2);
    // Same architecture, and the old model was disposed once its last request finished.
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(after.probabilities.PNEUMONIA).not.toBe(before.probabilities.PNEUMONIA);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/model_info\{version="2",dir="[^"]+"\} 1/);
    expect(metrics).not.toMatch(/model_info\{version="1"/);
  });

  it('refuses a champion that fails to load, keeps serving the old one, and says so on /metrics and /v2/health/ready', async () => {
    const v3 = await register('broken', 3);
    await truncate(path.join(registry.dir, 'versions', String(v3), 'weights.bin'), 100);
    const refused = once(server.reloader, 'refused') as Promise<[ReloadFailure]>;
    await registry.promote(v3, by);
    const [failure] = await refused;
    expect(failure.version).toBe(v3);
    expect(failure.message).toMatch(/cannot load/);

    expect((await predict()).model_version).toBe(2);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('model_load_failures_total 1');
    expect(metrics).toContain('model_loads_total{result="refused"} 1');
    expect(metrics).toMatch(/model_info\{version="2"/);
    const ready = await fetch(`${server.url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    const body = await json(ready);
    expect(body.model_version).toBe(2);
    expect(body.last_reload_error.version).toBe(v3);
    expect(await (await fetch(`${server.url}/models`)).text()).toContain(`Last reload refused (v${v3}`);
  });

  it('follows a promotion back to an earlier version', async () => {
    const loaded = once(server.reloader, 'loaded');
    await registry.promote(1, { by: 'test', reason: 'roll back to v1' });
    await loaded;
    expect((await predict()).model_version).toBe(1);
  });
});

describe('a server started before any champion exists', () => {
  it('becomes ready when the first version is promoted', async () => {
    const t = await tempDir();
    const reg = openRegistry({ root: path.join(t.dir, 'registry'), logger: testLogger() });
    const s = await startServer({ source: championSource(reg), logger: testLogger(), port: 0, processMetrics: false });
    try {
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(503);
      const v = await reg.register(await writeTinyModel(path.join(t.dir, 'm'), { seed: 5 }), {});
      const loaded = once(s.reloader, 'loaded');
      await reg.promote(v.version, by);
      await loaded;
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(200);
      expect((await json(fetch(`${s.url}/v2/models/pneumonia`))).versions).toEqual([String(v.version)]);
    } finally {
      await s.close();
      await t.cleanup();
    }
  });
});
