import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dagctl, type CliResult } from '../cli/harness.js';
import { evaluate } from '../../src/training/evaluate.js';
import { TrainingAbortedError } from '../../src/training/errors.js';
import { loadModel, type ModelMetadata } from '../../src/training/model-io.js';
import { predict } from '../../src/training/predict.js';
import { chooseThreshold } from '../../src/training/calibration.js';
import { train } from '../../src/training/train.js';
import { CPU, FIXTURE, silent, tinyParams, useCpuBackend, useTempDirs } from './helpers.js';

useCpuBackend();
const tempDir = useTempDirs();

const TINY = ['--set', 'model.init=scratch', '--set', `data.dir=${FIXTURE}`, '--set', 'data.min_val_per_class=4', '--set', 'data.val_fraction=0.25', '--set', 'model.input_size=32', '--set', 'model.width=4', '--set', 'train.epochs=2', '--set', 'train.batch_size=8', '--set', 'train.micro_batch=4', '--set', 'train.early_stopping_patience=0', '--set', 'evaluate.batch_size=8'];

describe('dagctl train -> load -> predict -> evaluate', () => {
  let root = '';
  let out = '';
  let trainRun: CliResult;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'training-e2e-'));
    out = path.join(root, 'model');
    trainRun = await dagctl(root, ['train', ...TINY, '--backend', 'cpu', '--out', out]);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('streams JSON lines ending in train.done and writes a complete model folder', async () => {
    expect(trainRun.stderr).toBe('');
    expect(trainRun.code).toBe(0);
    const lines = trainRun.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown });
    expect(lines.filter((l) => l.msg === 'train.epoch')).toHaveLength(2);
    expect(lines.some((l) => l.msg === 'train.step' && typeof l.images_per_s === 'number')).toBe(true);
    const done = lines.at(-1);
    expect(done?.msg).toBe('train.done');
    expect(done?.out_dir).toBe(out);
    expect(done?.trained_from_scratch).toBe(true);

    for (const f of ['model.json', 'weights.bin', 'metadata.json', 'metrics.json', 'history.json', 'predictions.json', 'plots/loss.svg', 'plots/accuracy.svg', 'plots/roc.svg', 'plots/confusion_matrix.svg']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    const meta = JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8')) as ModelMetadata;
    expect(meta.trained_from_scratch).toBe(true);
    expect(meta.pretrained_from).toBeNull();
    expect(meta.counts.train.NORMAL + meta.counts.val.NORMAL).toBe(8);
    expect(meta.counts.test).toEqual({ NORMAL: 4, PNEUMONIA: 5 });
    expect(meta.epochs_run).toBe(2);
    expect(meta.backend.name).toBe('cpu');
    expect(meta.git_commit).toMatch(/^[0-9a-f]{40}$/);
    expect(meta.metrics?.n).toBe(8);
    // The random-bytes "jpeg", a text file and a truncated JPEG are listed, not fatal.
    expect(meta.skipped_files.map((f) => path.basename(f.path)).sort()).toEqual(['corrupt-random-bytes.jpeg', 'notes.txt', 'truncated.jpeg']);
    const metricsJson = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.values(metricsJson).every((v) => typeof v === 'number')).toBe(true);
    expect(await readFile(path.join(out, 'plots/roc.svg'), 'utf8')).toMatch(/^<svg/);
    expect(JSON.parse(await readFile(path.join(out, 'predictions.json'), 'utf8'))).toHaveLength(8);
  });

  it('loads the folder and predicts an image', async () => {
    const loaded = await loadModel(out);
    const image = await readFile(path.join(FIXTURE, 'test/NORMAL', readdirSync(path.join(FIXTURE, 'test/NORMAL'))[0] as string));
    const [pred] = await predict(loaded, [image]);
    expect(pred?.probabilities.NORMAL ?? 0).toBeCloseTo(1 - (pred?.probabilities.PNEUMONIA ?? 0), 5);
    expect(pred?.probability).toBe(pred?.probabilities[pred.label]);
    const ev = await evaluate(loaded, FIXTURE, { split: 'test', logger: silent });
    // Same weights, same images: evaluation reproduces the training run's test metrics and test-set hash.
    expect(ev.metrics.n).toBe(8);
    expect(ev.test_set_hash).toBe(loaded.metadata.test_set_hash);
    expect(ev.metrics.accuracy).toBeCloseTo(loaded.metadata.metrics?.accuracy ?? -1, 6);
    expect(ev.skipped_files.map((f) => path.basename(f.path))).toEqual(['truncated.jpeg']);
    loaded.model.dispose();
  });

  it('dagctl evaluate prints the metrics as JSON and writes metrics.json', async () => {
    const metricsFile = path.join(root, 'eval-metrics.json');
    const r = await dagctl(root, ['evaluate', '--model', out, '--data', path.join(FIXTURE, 'test'), '--backend', 'cpu', '--metrics', metricsFile, '-o', 'json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of ['accuracy', 'precision', 'recall', 'specificity', 'f1', 'auc', 'n', 'confusion_matrix']) expect(m).toHaveProperty(k);
    expect(m.n).toBe(8);
    const flat = JSON.parse(await readFile(metricsFile, 'utf8')) as Record<string, number>;
    expect(flat.accuracy).toBe(m.accuracy);
    const table = await dagctl(root, ['evaluate', '--model', out, '--data', FIXTURE, '--split', 'test', '--backend', 'cpu', '--metrics', metricsFile]);
    expect(table.stdout).toMatch(/specificity/);
  });

  it('dagctl train says how to fetch a missing starting model instead of training from scratch silently', async () => {
    const r = await dagctl(root, ['train', ...TINY, '--backend', 'cpu', '--set', 'model.init=champion', '--set', 'model.pretrained=models/not-pulled', '--out', path.join(root, 'never')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/model.pretrained models\/not-pulled does not exist/);
    expect(r.stderr).toMatch(/dagctl dvc pull models\/not-pulled/);
    expect(existsSync(path.join(root, 'never'))).toBe(false);
  });

  it('dagctl predict labels each image and refuses a folder that is not a model', async () => {
    const img = path.join(FIXTURE, 'test/PNEUMONIA', readdirSync(path.join(FIXTURE, 'test/PNEUMONIA')).filter((n) => n.startsWith('person'))[0] as string);
    const r = await dagctl(root, ['predict', '--model', out, '--backend', 'cpu', '-o', 'json', img, img]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { label: string; probability: number }[];
    expect(rows).toHaveLength(2);
    expect(['NORMAL', 'PNEUMONIA']).toContain(rows[0]?.label);
    const bad = await dagctl(root, ['predict', '--model', root, img]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no model.json/);
  });
});

describe('train (library)', () => {
  it('initialises the backbone from a saved model folder and records it', async () => {
    const dir = await tempDir();
    await train(tinyParams({ train: { epochs: 1 } }), { outDir: path.join(dir, 'a'), logger: silent, backend: CPU });
    const source = await loadModel(path.join(dir, 'a'));
    const r = await train(tinyParams({ train: { epochs: 1, learning_rate: 1e-9 }, model: { pretrained: path.join(dir, 'a'), freeze_backbone_epochs: 1 } }), {
      outDir: path.join(dir, 'b'),
      logger: silent,
      backend: CPU,
    });
    expect(r.metadata.trained_from_scratch).toBe(false);
    expect(r.metadata.pretrained_from).toBe(path.join(dir, 'a'));
    const target = await loadModel(path.join(dir, 'b'));
    // Backbone frozen for the only epoch: conv1 is exactly the source's.
    const a = source.model.getLayer('conv1').getWeights()[0]?.dataSync();
    const b = target.model.getLayer('conv1').getWeights()[0]?.dataSync();
    expect(Array.from(b ?? [])).toEqual(Array.from(a ?? [1]));
    source.model.dispose();
    target.model.dispose();
  });

  it('unfreezes the backbone after freeze_backbone_epochs with a fresh Adam, and keeps the best epoch across the switch', async () => {
    const dir = await tempDir();
    await train(tinyParams({ train: { epochs: 1 } }), { outDir: path.join(dir, 'a'), logger: silent, backend: CPU });
    const r = await train(tinyParams({ train: { epochs: 3 }, model: { init: 'pretrained', pretrained: path.join(dir, 'a'), freeze_backbone_epochs: 1 } }), { outDir: path.join(dir, 'b'), logger: silent, backend: CPU });
    expect(r.history).toHaveLength(3);
    expect(r.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    const [a, b] = await Promise.all([loadModel(path.join(dir, 'a')), loadModel(path.join(dir, 'b'))]);
    const conv = (m: typeof a) => Array.from(m.model.getLayer('conv1').getWeights()[0]?.dataSync() ?? []);
    // Whichever epoch was best, the restored weights load under their own names (the order of model.getWeights()
    // changes when layers are frozen; snapshots do not depend on it).
    expect(conv(b)).toHaveLength(conv(a).length);
    if (r.metadata.best_epoch > 1) expect(conv(b)).not.toEqual(conv(a));
    else expect(conv(b)).toEqual(conv(a));
    a.model.dispose();
    b.model.dispose();
  });

  it('continues from the champion: every layer, the head included', async () => {
    const dir = await tempDir();
    await train(tinyParams({ train: { epochs: 1 } }), { outDir: path.join(dir, 'champion'), logger: silent, backend: CPU });
    // A vanishing learning rate: the continued model must still be the champion, not a fresh initialisation.
    const r = await train(tinyParams({ train: { epochs: 1, learning_rate: 1e-12, bn_recalibration_images: 0, seed: 7 } }), {
      outDir: path.join(dir, 'next'), logger: silent, backend: CPU, championDir: path.join(dir, 'champion'), // prettier-ignore
    });
    expect(r.metadata.init).toEqual({ mode: 'champion', from: path.join(dir, 'champion') });
    expect(r.metadata.trained_from_scratch).toBe(false);
    const [a, b] = await Promise.all([loadModel(path.join(dir, 'champion')), loadModel(path.join(dir, 'next'))]);
    // Trainable weights only: BatchNorm's moving statistics follow the new batches whatever the learning rate.
    for (const layer of ['conv1', 'bn1', 'layer4_1_conv2', 'fc']) {
      const wa = a.model.getLayer(layer).trainableWeights.map((w) => Array.from(w.read().dataSync()));
      const wb = b.model.getLayer(layer).trainableWeights.map((w) => Array.from(w.read().dataSync()));
      wb.forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(wa[i]?.[j] ?? Number.NaN, 4)));
    }
    a.model.dispose();
    b.model.dispose();
    // With no champion, model.init: champion starts from scratch; init: pretrained without a folder is refused.
    const fresh = await train(tinyParams({ train: { epochs: 1 } }), { outDir: path.join(dir, 'fresh'), logger: silent, backend: CPU, championDir: null });
    expect(fresh.metadata.init).toEqual({ mode: 'scratch', from: null });
    await expect(train(tinyParams({ model: { init: 'pretrained' } }), { outDir: path.join(dir, 'x'), logger: silent, backend: CPU })).rejects.toThrow(/model.pretrained is null/);
  });

  it('resumes after the last finished epoch and ends where an uninterrupted run ends', async () => {
    const dir = await tempDir();
    const params = tinyParams({ train: { epochs: 3, lr_schedule: 'cosine', warmup_epochs: 0.5 } });
    const whole = await train(params, { outDir: path.join(dir, 'whole'), logger: silent, backend: CPU });
    // Crash during epoch 3: the abort leaves the checkpoint written after epoch 2.
    const out = path.join(dir, 'resumed');
    const ac = new AbortController();
    const crashed = train(params, { outDir: out, logger: silent, backend: CPU, signal: ac.signal, onProgress: (p) => p.kind === 'step' && p.epoch === 3 && ac.abort() });
    await expect(crashed).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(existsSync(path.join(`${out}.checkpoint`, 'state.json'))).toBe(true);
    const epochs: number[] = [];
    const resumed = await train(params, { outDir: out, logger: silent, backend: CPU, resume: true, onProgress: (p) => p.kind === 'epoch' && epochs.push(p.epoch) });
    expect(epochs).toEqual([3]);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(resumed.history.map((h) => h.learning_rate)).toEqual(whole.history.map((h) => h.learning_rate));
    // Same batches, same Adam state: the same model up to float rounding.
    expect(resumed.history[2]?.loss).toBeCloseTo(whole.history[2]?.loss ?? Number.NaN, 3);
    expect(resumed.metadata.threshold).toBeCloseTo(whole.metadata.threshold ?? Number.NaN, 3);
    expect(existsSync(`${out}.checkpoint`), 'a finished run removes its checkpoint').toBe(false);
    // A checkpoint written with other params is refused, not silently mixed in.
    const ac2 = new AbortController();
    await expect(train(params, { outDir: out, logger: silent, backend: CPU, signal: ac2.signal, onProgress: (p) => p.kind === 'step' && p.epoch === 2 && ac2.abort() })).rejects.toBeInstanceOf(TrainingAbortedError);
    await expect(train(tinyParams({ train: { epochs: 3, learning_rate: 0.01 } }), { outDir: out, logger: silent, backend: CPU, resume: true })).rejects.toThrow(/other params/);
  });

  it('chooses the threshold on validation and every decision uses it', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'model');
    const r = await train(tinyParams({ evaluate: { threshold: 'auto', threshold_rule: 'min_sensitivity', min_sensitivity: 1 } }), { outDir: out, logger: silent, backend: CPU });
    const cal = r.metadata.calibration;
    if (!cal) throw new Error('no calibration recorded');
    expect(cal.rule).toBe('min_sensitivity');
    expect(cal.split).toMatch(/^val/);
    expect(r.metadata.threshold).toBe(cal.threshold);
    // The rule, re-applied to the saved validation predictions, gives the stored threshold.
    const val = JSON.parse(await readFile(path.join(out, 'val_predictions.json'), 'utf8')) as { label: number; probability: number }[];
    expect(val).toHaveLength(cal.n);
    expect(chooseThreshold(val.map((p) => p.label), val.map((p) => p.probability), 'min_sensitivity', 1).threshold).toBe(cal.threshold);
    // Test metrics, evaluate and predict all decide at that threshold.
    expect(r.metrics?.threshold).toBe(cal.threshold);
    const loaded = await loadModel(out);
    const ev = await evaluate(loaded, FIXTURE, { split: 'test', logger: silent });
    expect(ev.metrics.threshold).toBe(cal.threshold);
    const images = await Promise.all(ev.predictions.map((p) => readFile(path.join(FIXTURE, 'test', p.path))));
    const preds = await predict(loaded, images);
    preds.forEach((p, i) => expect(p.label).toBe((ev.predictions[i]?.probability ?? 0) >= cal.threshold ? 'PNEUMONIA' : 'NORMAL'));
    loaded.model.dispose();
    expect(existsSync(path.join(out, 'plots', 'reliability.svg'))).toBe(true);
  });

  it('stops on abort without writing the folder', async () => {
    const out = path.join(await tempDir(), 'model');
    const ac = new AbortController();
    const p = train(tinyParams(), { outDir: out, logger: silent, backend: CPU, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(p).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(existsSync(out)).toBe(false);
  });
});
