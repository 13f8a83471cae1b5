import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/training/evaluate.js';
import { TrainingAbortedError } from '../../src/training/errors.js';
import { loadModel } from '../../src/training/model-io.js';
import { predict } from '../../src/training/predict.js';
import { train, type TrainProgress } from '../../src/training/train.js';
import { CPU, FIXTURE, silent, tinyParams, useCpuBackend, useTempDirs } from './helpers.js';

useCpuBackend();
const tempDir = useTempDirs();

describe('train -> save -> load -> predict -> evaluate', () => {
  it('writes a complete model folder that loads, predicts and evaluates', async () => {
    const out = path.join(await tempDir(), 'model');
    const progress: TrainProgress[] = [];
    const result = await train(tinyParams(), { outDir: out, logger: silent, backend: CPU, onProgress: (p) => progress.push(p) });

    for (const f of ['model.json', 'weights.bin', 'metadata.json', 'metrics.json', 'history.json', 'predictions.json', 'plots/loss.svg', 'plots/accuracy.svg', 'plots/roc.svg', 'plots/confusion_matrix.svg']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    const meta = result.metadata;
    expect(meta.trained_from_scratch).toBe(true);
    expect(meta.counts.train.NORMAL + meta.counts.val.NORMAL).toBe(8);
    expect(meta.counts.test).toEqual({ NORMAL: 4, PNEUMONIA: 5 });
    expect(meta.epochs_run).toBe(2);
    expect(meta.backend.name).toBe('cpu');
    // The random-bytes "jpeg", a text file and a truncated JPEG are listed, not fatal.
    const skipped = meta.skipped_files.map((f) => path.basename(f.path)).sort();
    expect(skipped).toEqual(['corrupt-random-bytes.jpeg', 'notes.txt', 'truncated.jpeg']);
    expect(result.metrics?.n).toBe(8);
    expect(progress.filter((p) => p.kind === 'epoch')).toHaveLength(2);
    expect(progress.some((p) => p.kind === 'step')).toBe(true);
    const metricsJson = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.values(metricsJson).every((v) => typeof v === 'number')).toBe(true);
    expect(await readFile(path.join(out, 'plots/roc.svg'), 'utf8')).toMatch(/^<svg/);

    const loaded = await loadModel(out);
    expect(loaded.metadata.test_set_hash).toBe(meta.test_set_hash);
    const image = await readFile(path.join(FIXTURE, 'test/NORMAL', (await import('node:fs')).readdirSync(path.join(FIXTURE, 'test/NORMAL'))[0] as string));
    const [pred] = await predict(loaded, [image]);
    expect(pred?.probabilities.NORMAL ?? 0).toBeCloseTo(1 - (pred?.probabilities.PNEUMONIA ?? 0), 5);
    expect(['NORMAL', 'PNEUMONIA']).toContain(pred?.label);

    const ev = await evaluate(loaded, FIXTURE, { split: 'test', logger: silent });
    expect(ev.metrics.n).toBe(8);
    expect(ev.test_set_hash).toBe(meta.test_set_hash);
    // Same weights, same images: the CLI's evaluation reproduces the training run's test metrics.
    expect(ev.metrics.accuracy).toBeCloseTo(result.metrics?.accuracy ?? -1, 6);
    expect(ev.skipped_files.map((f) => path.basename(f.path))).toEqual(['truncated.jpeg']);
    loaded.model.dispose();
  });

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
