import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParams } from '../../src/params/index.js';
import { dataVersion, gitCommit } from '../../src/training/artifacts.js';
import { augmentImage } from '../../src/training/augment.js';
import { streamBatches } from '../../src/training/batches.js';
import { loadKaggleData, resolveSplitDir, scanClassFolder, stratifiedSplit, type SkippedFile } from '../../src/training/dataset.js';
import { DataError, ImageDecodeError } from '../../src/training/errors.js';
import { IMAGENET_MEAN, IMAGENET_STD, preprocessImage, probeImage } from '../../src/training/preprocess.js';
import { createRng } from '../../src/training/rng.js';
import { FIXTURE, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const data = (over: Record<string, unknown> = {}) => parseParams({ data: { min_val_per_class: 4, val_fraction: 0.25, ...over } }).data;
const firstImage = async (dir: string) => readFile(path.join(dir, (await readdir(dir)).filter((n) => n.endsWith('.jpeg') && n.startsWith('IM'))[0] as string));

describe('Kaggle-layout loading', () => {
  it('skips and lists corrupt and non-image files instead of crashing', async () => {
    const skipped: SkippedFile[] = [];
    const split = await scanClassFolder(path.join(FIXTURE, 'train'), skipped);
    expect(split.counts).toEqual({ NORMAL: 8, PNEUMONIA: 8 });
    expect(skipped.map((s) => path.basename(s.path)).sort()).toEqual(['corrupt-random-bytes.jpeg', 'notes.txt']);
    expect(skipped.every((s) => s.reason.length > 0)).toBe(true);
  });

  it('carves a stratified, seeded validation split when val is absent', async () => {
    const a = await loadKaggleData(FIXTURE, data(), 1);
    expect(a.valCarved).toBe(true);
    expect(a.val.counts).toEqual({ NORMAL: 2, PNEUMONIA: 2 });
    expect(a.train.counts).toEqual({ NORMAL: 6, PNEUMONIA: 6 });
    expect(a.test?.counts).toEqual({ NORMAL: 4, PNEUMONIA: 5 }); // truncated.jpeg has a valid header; it fails at decode
    const b = await loadKaggleData(FIXTURE, data(), 1);
    expect(b.val.samples).toEqual(a.val.samples);
    const overlap = a.val.samples.filter((v) => a.train.samples.some((t) => t.path === v.path));
    expect(overlap).toHaveLength(0);
  });

  it('uses a given val split when it is big enough, and carves when it is tiny', async () => {
    const root = await tempDir();
    await cp(path.join(FIXTURE, 'train'), path.join(root, 'train'), { recursive: true });
    await cp(path.join(FIXTURE, 'test'), path.join(root, 'val'), { recursive: true });
    const big = await loadKaggleData(root, data({ min_val_per_class: 4 }), 1);
    expect(big.valCarved).toBe(false);
    expect(big.val.counts).toEqual({ NORMAL: 4, PNEUMONIA: 5 });
    expect(big.test).toBeNull();
    const tiny = await loadKaggleData(root, data({ min_val_per_class: 10 }), 1);
    expect(tiny.valCarved).toBe(true);
    // The tiny given val joins the carved one: 2 + 4 NORMAL.
    expect(tiny.val.counts.NORMAL).toBe(6);
  });

  it('uses a stratified fraction of train', async () => {
    const d = await loadKaggleData(FIXTURE, data({ fraction: 0.5, val_fraction: 0.25 }), 1);
    expect(d.train.counts.NORMAL + d.val.counts.NORMAL).toBe(4);
  });

  it('fails clearly when a class has no usable image', async () => {
    const root = await tempDir();
    await cp(path.join(FIXTURE, 'train/NORMAL'), path.join(root, 'train/NORMAL'), { recursive: true });
    await mkdir(path.join(root, 'train/PNEUMONIA'));
    await writeFile(path.join(root, 'train/PNEUMONIA/broken.jpeg'), 'nope');
    const err = await loadKaggleData(root, data(), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('empty_class');
    expect((err as DataError).message).toContain('PNEUMONIA has no usable images');
    const missing = await loadKaggleData(path.join(root, 'nothing'), data(), 1).catch((e: unknown) => e);
    expect((missing as DataError).code).toBe('data_missing');
  });

  it('splits every class, never taking all of one', () => {
    const samples = [0, 0, 0, 1].map((label, i) => ({ path: `p${i}`, label: label as 0 | 1 }));
    const { picked, rest } = stratifiedSplit(samples, 0.5, 3);
    expect(picked.filter((s) => s.label === 0)).toHaveLength(2);
    expect(picked.filter((s) => s.label === 1)).toHaveLength(0); // the only PNEUMONIA stays in rest
    expect(rest).toHaveLength(2);
  });

  it('resolves a class folder or a Kaggle root + split', () => {
    expect(resolveSplitDir(path.join(FIXTURE, 'test'), 'test')).toBe(path.join(FIXTURE, 'test'));
    expect(resolveSplitDir(FIXTURE, 'test')).toBe(path.join(FIXTURE, 'test'));
  });
});

describe('preprocessing', () => {
  it('squashes to size x size x 3, grayscale replicated, ImageNet-normalised', async () => {
    const img = await preprocessImage(await firstImage(path.join(FIXTURE, 'train/NORMAL')), 40);
    expect(img).toHaveLength(40 * 40 * 3);
    for (const i of [0, 799, 1599]) {
      const pixel = [0, 1, 2].map((c) => (img[i * 3 + c] as number) * (IMAGENET_STD[c] as number) + (IMAGENET_MEAN[c] as number));
      expect(pixel[1]).toBeCloseTo(pixel[0] as number, 5);
      expect(pixel[2]).toBeCloseTo(pixel[0] as number, 5);
      expect(pixel[0]).toBeGreaterThanOrEqual(0);
      expect(pixel[0]).toBeLessThanOrEqual(1);
    }
  });

  it('probes without decoding and types its errors', async () => {
    expect(await probeImage(await firstImage(path.join(FIXTURE, 'test/NORMAL')))).toEqual({ format: 'jpeg', width: 224, height: 224 });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"></svg>');
    await expect(probeImage(svg)).rejects.toMatchObject({ code: 'unsupported_format' });
    await expect(probeImage(Buffer.from('garbage'))).rejects.toMatchObject({ code: 'corrupt_image' });
    const truncated = await readFile(path.join(FIXTURE, 'test/PNEUMONIA/truncated.jpeg'));
    await expect(preprocessImage(truncated, 32)).rejects.toBeInstanceOf(ImageDecodeError);
  });
});

describe('batches', () => {
  it('streams in order, in batches of the requested size, reporting files that fail to decode', async () => {
    const skipped: SkippedFile[] = [];
    const { samples } = await scanClassFolder(path.join(FIXTURE, 'test'), []);
    const sizes: number[] = [];
    const labels: number[] = [];
    for await (const b of streamBatches(samples, { size: 16, batchSize: 4, prefetch: 1, onSkip: (f) => skipped.push(f) })) {
      sizes.push(b.n);
      expect(b.x).toHaveLength(b.n * 16 * 16 * 3);
      labels.push(...b.labels);
    }
    expect(sizes).toEqual([4, 4]); // 9 files, the truncated one dropped from the last batch
    expect(labels).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(skipped.map((s) => path.basename(s.path))).toEqual(['truncated.jpeg']);
  });

  it('augments reproducibly and is the identity with zero strength', async () => {
    const img = await preprocessImage(await firstImage(path.join(FIXTURE, 'train/NORMAL')), 24);
    const p = { enabled: true, rotation_deg: 5, shift: 0.05, zoom: 0.05, horizontal_flip: false, contrast: 0, brightness: 0 };
    const a = augmentImage(img, 24, p, createRng(1));
    expect(Array.from(augmentImage(img, 24, p, createRng(1)))).toEqual(Array.from(a));
    expect(Array.from(a)).not.toEqual(Array.from(img));
    const id = augmentImage(img, 24, { ...p, rotation_deg: 0, shift: 0, zoom: 0 }, createRng(1));
    id.forEach((v, i) => expect(v).toBeCloseTo(img[i] as number, 5));
  });

  it('jitters contrast around the image mean and shifts brightness, leaving the geometry alone', async () => {
    const img = await preprocessImage(await firstImage(path.join(FIXTURE, 'train/NORMAL')), 24);
    const still = { enabled: true, rotation_deg: 0, shift: 0, zoom: 0, horizontal_flip: false, contrast: 0, brightness: 0 };
    const jittered = augmentImage(img, 24, { ...still, contrast: 0.3, brightness: 0.2 }, createRng(7));
    const mean = (a: Float32Array) => a.filter((_, i) => i % 3 === 0).reduce((s, v) => s + v, 0) / (a.length / 3);
    const spread = (a: Float32Array) => Math.sqrt(a.filter((_, i) => i % 3 === 0).reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length / 3));
    expect(Math.abs(mean(jittered) - mean(img))).toBeGreaterThan(1e-3);
    expect(Math.abs(spread(jittered) / spread(img) - 1)).toBeGreaterThan(1e-3);
    expect(Math.abs(spread(jittered) / spread(img) - 1)).toBeLessThanOrEqual(0.3 + 1e-6);
    // The same seed without jitter gives back the image: the draws for jitter never move the geometry.
    const plain = augmentImage(img, 24, still, createRng(7));
    plain.forEach((v, i) => expect(v).toBeCloseTo(img[i] as number, 5));
  });
});

describe('provenance', () => {
  it('reads the data version from <data.dir>.dvc and the git commit, null when absent', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'chest_xray'));
    expect(await dataVersion(path.join(root, 'chest_xray'))).toBeNull();
    await writeFile(path.join(root, 'chest_xray.dvc'), 'outs:\n- md5: 70aad9a4563a538568e5e2fa3946da22.dir\n  size: 5280400\n  nfiles: 600\n  hash: md5\n  path: chest_xray\n');
    expect(await dataVersion(path.join(root, 'chest_xray/'))).toBe('70aad9a4563a538568e5e2fa3946da22.dir');
    expect(await gitCommit(root)).toBeNull();
    expect(await gitCommit(process.cwd())).toMatch(/^[0-9a-f]{40}$/);
  });
});
