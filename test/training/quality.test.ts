// Guards the model's quality, not just its plumbing: a short real training run on real X-rays, through the real
// CLI and the fastest backend this machine has, must land well clear of chance on images it never saw.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelMetadata } from '../../src/training/model-io.js';

const repo = path.resolve(import.meta.dirname, '../..');
const small = path.resolve(repo, '..', 'shared', 'data', 'chest_xray_small');
let dir = '';

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.runIf(existsSync(small))('model quality on chest_xray_small', { timeout: 600_000 }, () => {
  it('two epochs from scratch at 64 px score far above chance on the 200 held-out test images', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'quality-'));
    const sets = [`data.dir=${small}`, 'model.input_size=64', 'model.init=scratch', 'train.epochs=2', 'train.batch_size=32', 'train.lr_schedule=cosine', 'train.warmup_epochs=0.1', 'train.early_stopping_patience=0'];
    const r = await execa(process.execPath, [path.join(repo, 'bin', 'dagctl.js'), 'train', '--out', path.join(dir, 'model'), ...sets.flatMap((s) => ['--set', s])], { cwd: repo, reject: false, env: { DAGCTL_HOME: dir } });
    expect(r.exitCode, r.stderr).toBe(0);
    const meta = JSON.parse(await readFile(path.join(dir, 'model', 'metadata.json'), 'utf8')) as ModelMetadata;
    const m = meta.metrics!;
    // 200 test images, 100 per class, carved from Kaggle's train split; the threshold was chosen on the 10 % of
    // train carved as validation. Chance is 0.5 on every figure; these floors leave a wide margin.
    expect(m.n).toBe(200);
    expect(meta.calibration?.split).toMatch(/carved/);
    expect(m.threshold).toBe(meta.threshold);
    expect(m.auc).toBeGreaterThanOrEqual(0.9);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(m.recall).toBeGreaterThanOrEqual(0.7);
    expect(m.specificity).toBeGreaterThanOrEqual(0.7);
    console.log(`quality: backend ${meta.backend.name}, ${meta.training_time_s.toFixed(1)} s, auc ${m.auc?.toFixed(4)}, accuracy ${m.accuracy.toFixed(4)}, recall ${m.recall.toFixed(4)}, specificity ${m.specificity.toFixed(4)}, threshold ${m.threshold.toFixed(4)}`);
  });
});
