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
import { train } from '../../src/training/train.js';
import { CPU, FIXTURE, silent, tinyParams, useCpuBackend, useTempDirs } from './helpers.js';

useCpuBackend();
const tempDir = useTempDirs();

const TINY = ['--set', `data.dir=${FIXTURE}`, '--set', 'data.min_val_per_class=4', '--set', 'data.val_fraction=0.25', '--set', 'model.input_size=32', '--set', 'model.width=4', '--set', 'train.epochs=2', '--set', 'train.batch_size=8', '--set', 'train.micro_batch=4', '--set', 'train.early_stopping_patience=0', '--set', 'evaluate.batch_size=8'];

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

  it('stops on abort without writing the folder', async () => {
    const out = path.join(await tempDir(), 'model');
    const ac = new AbortController();
    const p = train(tinyParams(), { outDir: out, logger: silent, backend: CPU, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(p).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(existsSync(out)).toBe(false);
  });
});
