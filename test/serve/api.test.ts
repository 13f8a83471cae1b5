import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { championSource, folderSource } from '../../src/serve/source.js';
import { fixture, tempDir, testLogger, writeTinyModel, XRAYS, json, type Body } from './helpers.js';

let server: RunningServer;
let cleanup: () => Promise<void>;
const PROMOTED_AT = new Date('2026-11-01T12:00:00Z');

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  const registry = openRegistry({ root: `${t.dir}/registry`, logger: testLogger() });
  // 64x64 input: the last feature map is 2x2, so the heat map grid has more than one cell.
  const v = await registry.register(await writeTinyModel(`${t.dir}/model`, { inputSize: 64 }), {});
  await registry.promote(v.version, { by: 'test', reason: 'first model', now: PROMOTED_AT });
  server = await startServer({ source: championSource(registry), logger: testLogger(), port: 0, processMetrics: false });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

function post(path: string, body: Body, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', body, headers });
}

describe('POST /predict', () => {
  it('classifies a multipart upload of a real X-ray and names the model version', async () => {
    const form = new FormData();
    form.append('file', new Blob([await fixture('pneumonia-1.jpeg')], { type: 'image/jpeg' }), 'x.jpeg');
    const res = await post('/predict', form);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(['NORMAL', 'PNEUMONIA']).toContain(body.label);
    expect(body.probabilities.NORMAL + body.probabilities.PNEUMONIA).toBeCloseTo(1, 5);
    expect(body.probability).toBe(body.probabilities[body.label]);
    expect(body.model_version).toBe(1);
    expect(body.model_promoted_at).toBe(PROMOTED_AT.toISOString());
    expect(body.latency_ms).toBeGreaterThan(0);
    expect(body.latency_ms).toBeGreaterThanOrEqual(body.inference_ms);
    expect(body.threshold).toBe(0.5); // a folder without a calibrated threshold keeps its params' (here the default)
  });

  it("labels at the model's calibrated threshold, not at 0.5", async () => {
    const t = await tempDir();
    const image = await fixture('pneumonia-1.jpeg');
    const labels: string[] = [];
    // The same weights with two thresholds either side of this image's probability.
    const probe = await startServer({ source: folderSource(await writeTinyModel(`${t.dir}/probe`, { inputSize: 64 })), logger: testLogger(), port: 0, processMetrics: false });
    const p = (await json(fetch(`${probe.url}/predict`, { method: 'POST', body: image, headers: { 'content-type': 'image/jpeg' } }))).probabilities.PNEUMONIA as number;
    await probe.close();
    for (const threshold of [p / 2, (1 + p) / 2]) {
      const s = await startServer({ source: folderSource(await writeTinyModel(`${t.dir}/m${threshold}`, { inputSize: 64, threshold })), logger: testLogger(), port: 0, processMetrics: false });
      const body = await json(fetch(`${s.url}/predict`, { method: 'POST', body: image, headers: { 'content-type': 'image/jpeg' } }));
      expect(body.threshold).toBe(threshold);
      expect(body.probabilities.PNEUMONIA).toBeCloseTo(p, 6);
      labels.push(body.label);
      await s.close();
    }
    expect(labels).toEqual(['PNEUMONIA', 'NORMAL']);
    await t.cleanup();
  });

  it('accepts a raw image/jpeg body and gives the same answer as multipart for the same image', async () => {
    const img = await fixture('normal-1.jpeg');
    const raw = await json(post('/predict', img, { 'content-type': 'image/jpeg' }));
    const form = new FormData();
    form.append('file', new Blob([img]), 'n.jpeg');
    const multi = await json(post('/predict', form));
    expect(raw.probabilities).toEqual(multi.probabilities);
  });

  it('accepts PNG (the same picture re-encoded gives nearly the same probabilities)', async () => {
    const jpeg = await fixture('normal-2.jpeg');
    const png = await sharp(jpeg).png().toBuffer();
    const a = await json(post('/predict', jpeg, { 'content-type': 'image/jpeg' }));
    const res = await post('/predict', png, { 'content-type': 'image/png' });
    expect(res.status).toBe(200);
    const b = await json(res);
    // Not bit-identical: sharp's JPEG shrink-on-load resamples slightly differently from the PNG path.
    expect(Math.abs(b.probabilities.PNEUMONIA - a.probabilities.PNEUMONIA)).toBeLessThan(0.02);
  });

  it('returns a heat map grid with ?explain=1', async () => {
    const res = await post('/predict?explain=1', await fixture('pneumonia-2.jpeg'), { 'content-type': 'image/jpeg' });
    const body = await json(res);
    expect(body.explanation.method).toBe('class_activation_map');
    expect(body.explanation.target).toBe(body.label);
    expect(body.explanation.grid).toHaveLength(2);
    const cells = body.explanation.grid.flat() as number[];
    expect(cells).toHaveLength(4);
    for (const v of cells) expect(v).toBeGreaterThanOrEqual(0);
    expect(Math.max(...cells)).toBeLessThanOrEqual(1);
  });

  it('leaks no tensors across predictions, heat maps and V2 calls', async () => {
    const img = await fixture('normal-2.jpeg');
    const once = async () => {
      await post('/predict?explain=1', img, { 'content-type': 'image/jpeg' });
      await post('/v2/models/pneumonia/infer', JSON.stringify({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [img.toString('base64')] }] }), {
        'content-type': 'application/json',
      });
    };
    await once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await once();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('KServe V2', () => {
  it('reports live, ready, server and model metadata', async () => {
    expect(await json(fetch(`${server.url}/v2/health/live`))).toEqual({ live: true });
    const ready = await fetch(`${server.url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    expect((await json(ready)).ready).toBe(true);
    const meta = await json(fetch(`${server.url}/v2`));
    expect(meta).toMatchObject({ name: 'dagctl-serve', extensions: [] });
    expect(typeof meta.version).toBe('string');
    const model = await json(fetch(`${server.url}/v2/models/pneumonia`));
    expect(model.name).toBe('pneumonia');
    expect(model.versions).toEqual(['1']);
    expect(model.inputs[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: [-1, 64, 64, 3] });
    expect(model.outputs[0]).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] });
    expect(await json(fetch(`${server.url}/v2/models/pneumonia/ready`))).toEqual({ name: 'pneumonia', ready: true });
    expect((await fetch(`${server.url}/v2/models/pneumonia/versions/1/ready`)).status).toBe(200);
  });

  it('answers 404 with a JSON error for an unknown model or version', async () => {
    const res = await fetch(`${server.url}/v2/models/cats`);
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ code: 'model_not_found' });
    const v = await fetch(`${server.url}/v2/models/pneumonia/versions/9`);
    expect(v.status).toBe(404);
    expect((await json(v)).error).toMatch(/version 9/);
  });

  it('infers from BYTES (base64 images) in a batch, matching /predict', async () => {
    const imgs = await Promise.all(XRAYS.slice(0, 2).map(fixture));
    const res = await post(
      '/v2/models/pneumonia/infer',
      JSON.stringify({ id: 'req-1', inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: imgs.map((b) => b.toString('base64')) }] }),
      { 'content-type': 'application/json' },
    );
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ model_name: 'pneumonia', model_version: '1', id: 'req-1' });
    const probs = body.outputs.find((o: { name: string }) => o.name === 'probabilities');
    expect(probs).toMatchObject({ datatype: 'FP32', shape: [2, 2] });
    const single = await json(post('/predict', imgs[1]!, { 'content-type': 'image/jpeg' }));
    expect(probs.data[3]).toBeCloseTo(single.probabilities.PNEUMONIA, 5);
    expect(body.outputs.find((o: { name: string }) => o.name === 'label').data).toHaveLength(2);
  });

  it('infers from an FP32 NHWC tensor, flat or nested, and honours the requested outputs', async () => {
    const n = 64 * 64 * 3;
    const flat = Array.from({ length: n }, (_, i) => ((i % 97) - 48) / 30);
    const nested = [Array.from({ length: 64 }, (_, y) => Array.from({ length: 64 }, (_, x) => flat.slice((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)))];
    const ask = (data: unknown) =>
      post('/v2/models/pneumonia/infer', JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64, 64, 3], data }], outputs: [{ name: 'probabilities' }] }), {
        'content-type': 'application/json',
      }).then((r) => json(r));
    const a = await ask(flat);
    const b = await ask(nested);
    expect(a.outputs).toHaveLength(1);
    expect(a.outputs[0].data).toHaveLength(2);
    expect(b.outputs[0].data).toEqual(a.outputs[0].data);
  });

  it.each([
    ['a wrong shape', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 64, 64], data: [] }] }, 'invalid_shape'],
    ['too few values', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64, 64, 3], data: [1, 2, 3] }] }, 'invalid_data'],
    ['an unsupported datatype', { inputs: [{ name: 'input', datatype: 'INT8', shape: [1], data: [1] }] }, 'unsupported_datatype'],
    ['non-base64 BYTES', { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['not base64 !!'] }] }, 'invalid_data'],
    ['no inputs', { inputs: [] }, 'invalid_request'],
    ['an unknown output', { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['AA=='] }], outputs: [{ name: 'logits' }] }, 'unknown_output'],
  ])('refuses %s with 400 and a JSON error', async (_what, request, code) => {
    const res = await post('/v2/models/pneumonia/infer', JSON.stringify(request), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.code).toBe(code);
    expect(typeof body.error).toBe('string');
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await post('/v2/models/pneumonia/infer', '{"inputs": [', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect((await json(res)).code).toBe('bad_request');
  });
});

describe('pages, assets and metrics', () => {
  it('serves the upload page with the model version, promotion time and the notice', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).toContain('name="viewport"');
    expect(html).toContain('v1');
    expect(html).toContain('2026-11-01 12:00 UTC');
    expect(html).toMatch(/Not a medical device/i);
    expect(html).toMatch(/<input id="file" name="file" type="file" accept="image\/jpeg,image\/png">/);
  });

  it('lists the model history from the registry', async () => {
    const html = await (await fetch(`${server.url}/models`)).text();
    expect(html).toContain('champion');
    expect(html).toContain('0.960'); // the fixture's AUC
    expect(html).toContain('2026-11-01 12:00 UTC');
  });

  it('serves hashed assets as immutable with an ETag, and answers If-None-Match with 304', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    const src = /src="(\/static\/app\.js\?v=[0-9a-f]{12})"/.exec(html)?.[1];
    expect(src).toBeDefined();
    const res = await fetch(`${server.url}${src}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    // fetch adds Cache-Control: no-cache to conditional requests unless told otherwise (Fetch spec).
    const again = await fetch(`${server.url}${src}`, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);
  });

  it('never maps a request path onto the file system', async () => {
    for (const p of ['/static/../../package.json', '/static/%2e%2e/%2e%2e/package.json', '/static/..%2f..%2fpackage.json', '/static/', '/static/nope.js', '/package.json']) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.status, p).toBe(404);
      expect((await res.text()).includes('"dagctl"')).toBe(false);
    }
  });

  it('exposes Prometheus metrics: requests by route and status, latency, predictions by label, model version', async () => {
    await post('/predict', Buffer.from('nope'), { 'content-type': 'image/jpeg' });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/predict",status="200"\} \d+/);
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/predict",status="415"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.05",method="POST",route="\/predict"\}/);
    expect(text).toMatch(/predictions_total\{label="(NORMAL|PNEUMONIA)"\} \d+/);
    expect(text).toMatch(/model_info\{version="1",dir="[^"]+"\} 1/);
    expect(text).toContain('model_load_failures_total 0');
  });
});
