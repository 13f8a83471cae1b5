import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { championSource, folderSource } from '../../src/serve/source.js';
import { fixture, tempDir, testLogger, writeTinyModel, json, type Body } from './helpers.js';

const LIMIT = 256 * 1024;
let server: RunningServer;
let idle: RunningServer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const t = await tempDir();
  cleanups.push(t.cleanup);
  // Capacity 1: a second request that arrives while one is decoding or running is refused.
  server = await startServer({ source: folderSource(await writeTinyModel(`${t.dir}/model`)), logger: testLogger(), port: 0, maxUploadBytes: LIMIT, queueCapacity: 1, processMetrics: false });
  // A registry without a champion: the server starts, but is not ready.
  idle = await startServer({ source: championSource(openRegistry({ root: `${t.dir}/empty-registry`, logger: testLogger() })), logger: testLogger(), port: 0, processMetrics: false });
});
afterAll(async () => {
  await server?.close();
  await idle?.close();
  for (const c of cleanups) await c();
});

async function expectError(res: Response, status: number, code: string): Promise<{ error: string; code: string }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = await json(res);
  expect(body.code).toBe(code);
  expect(body.error.length).toBeGreaterThan(5);
  return body;
}

const raw = (body: Body | null, type?: string, base = server.url): Promise<Response> =>
  fetch(`${base}/predict`, { method: 'POST', body, headers: type ? { 'content-type': type } : {} });

function multipart(name: string, bytes: Uint8Array, field = 'file'): Promise<Response> {
  const form = new FormData();
  form.append(field, new Blob([bytes]), name);
  return fetch(`${server.url}/predict`, { method: 'POST', body: form });
}

/** A real JPEG whose frame header (SOF0) claims `w` x `h`: only a full decode would find out it lies. */
async function jpegClaiming(w: number, h: number): Promise<Buffer> {
  const buf = Buffer.from(await fixture('normal-1.jpeg'));
  for (let i = 2; i < buf.length - 9; ) {
    if (buf[i] !== 0xff) throw new Error('fixture is not a baseline JPEG');
    const marker = buf[i + 1]!;
    if (marker === 0xc0 || marker === 0xc2) {
      buf.writeUInt16BE(h, i + 5);
      buf.writeUInt16BE(w, i + 7);
      return buf;
    }
    i += 2 + buf.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker in fixture');
}

describe('bad input gets a clear JSON error', () => {
  it('415 for a body that is not an image', async () => {
    await expectError(await raw('hello, I am text', 'text/plain'), 415, 'unsupported_format');
    await expectError(await raw(JSON.stringify({ image: 'x' }), 'application/json'), 415, 'unsupported_format');
    await expectError(await multipart('notes.txt', Buffer.from('%PDF-1.4 not an x-ray')), 415, 'unsupported_format');
  });

  it('415 for a real image in an unsupported format (GIF, WebP)', async () => {
    const jpeg = await fixture('normal-1.jpeg');
    await expectError(await raw(await sharp(jpeg).gif().toBuffer(), 'image/gif'), 415, 'unsupported_format');
    await expectError(await raw(await sharp(jpeg).webp().toBuffer(), 'image/jpeg'), 415, 'unsupported_format');
  });

  it('422 for a truncated or corrupt JPEG and a truncated PNG', async () => {
    const jpeg = await fixture('pneumonia-1.jpeg');
    await expectError(await raw(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'image/jpeg'), 422, 'corrupt_image');
    await expectError(await raw(jpeg.subarray(0, 40), 'image/jpeg'), 422, 'corrupt_image');
    // libjpeg shrugs off garbled scan data (warnings only), so corrupt a header instead: the Huffman
    // table marker becomes an SOF type no decoder supports.
    const garbled = Buffer.from(jpeg);
    const dht = garbled.indexOf(Buffer.from([0xff, 0xc4]), 2);
    expect(dht).toBeGreaterThan(0);
    garbled[dht + 1] = 0xc5;
    await expectError(await multipart('garbled.jpeg', garbled), 422, 'corrupt_image');
    const png = await sharp(jpeg).png().toBuffer();
    await expectError(await raw(png.subarray(0, Math.floor(png.length / 2)), 'image/png'), 422, 'corrupt_image');
  });

  it('400 for an empty body, an empty file, a form without a file, and no body at all', async () => {
    await expectError(await raw(Buffer.alloc(0), 'image/jpeg'), 400, 'empty_body');
    await expectError(await multipart('empty.jpeg', Buffer.alloc(0)), 400, 'empty_body');
    const form = new FormData();
    form.append('comment', 'no file here');
    await expectError(await fetch(`${server.url}/predict`, { method: 'POST', body: form }), 400, 'missing_file');
    await expectError(await raw(null), 400, 'empty_body');
  });

  it('413 for an upload over the configured limit, raw or multipart', async () => {
    const big = Buffer.concat([await fixture('normal-1.jpeg'), Buffer.alloc(LIMIT)]);
    await expectError(await raw(big, 'image/jpeg'), 413, 'payload_too_large');
    await expectError(await multipart('big.jpeg', big), 413, 'payload_too_large');
    // Just under the limit is accepted (the extra bytes after the JPEG's end marker are ignored).
    const fits = Buffer.concat([await fixture('normal-1.jpeg'), Buffer.alloc(LIMIT - 20_000)]);
    expect((await raw(fits, 'image/jpeg')).status).toBe(200);
  });

  it('422 for absurd dimensions, read from the header without decoding', async () => {
    const body = await expectError(await raw(await jpegClaiming(60_000, 60_000), 'image/jpeg'), 422, 'image_too_large');
    expect(body.error).toMatch(/pixel limit/);
    // Under sharp's own limit but over ours (8192 x 8192): refused by the shared probe.
    const mid = await expectError(await raw(await jpegClaiming(10_000, 10_000), 'image/jpeg'), 422, 'image_too_large');
    expect(mid.error).toContain('10000x10000');
    const png = await sharp(await fixture('normal-1.jpeg')).png().toBuffer();
    png.writeUInt32BE(100_000, 16); // IHDR width
    png.writeUInt32BE(100_000, 20); // IHDR height (the CRC is now wrong, too: a decoder would fail later)
    await expectError(await raw(png, 'image/png'), 422, 'image_too_large');
  });

  it('503 when the queue is full under a flood, and the server stays up', async () => {
    const img = await fixture('pneumonia-2.jpeg');
    const responses = await Promise.all(Array.from({ length: 40 }, () => raw(img, 'image/jpeg')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    const refused = responses.find((r) => r.status === 503)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    await expectError(refused, 503, 'queue_full');
    await Promise.all(responses.filter((r) => !r.bodyUsed).map((r) => r.arrayBuffer()));
    expect((await raw(img, 'image/jpeg')).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/inference_queue_rejections_total (\d+)/.exec(metrics)?.[1])).toBe(statuses.filter((s) => s === 503).length);
    expect(metrics).toContain('inference_queue_depth 0');
  });

  it('404 with a JSON error for an unknown route', async () => {
    await expectError(await fetch(`${server.url}/predict/../../etc/passwd`), 404, 'not_found');
  });
});

describe('a server without a model', () => {
  it('is live but not ready (503) and refuses predictions with 503 model_not_ready', async () => {
    expect((await fetch(`${idle.url}/v2/health/live`)).status).toBe(200);
    const ready = await fetch(`${idle.url}/v2/health/ready`);
    expect(ready.status).toBe(503);
    expect((await json(ready)).ready).toBe(false);
    expect((await fetch(`${idle.url}/v2/models/pneumonia/ready`)).status).toBe(503);
    await expectError(await raw(await fixture('normal-1.jpeg'), 'image/jpeg', idle.url), 503, 'model_not_ready');
    // Bad input is still named as such while no model is loaded.
    await expectError(await raw('text', 'text/plain', idle.url), 415, 'unsupported_format');
    expect(await (await fetch(`${idle.url}/`)).text()).toContain('No model loaded yet');
  });
});
