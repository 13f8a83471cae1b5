import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadParams, ParamsError } from '../../src/params/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'params-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(text: string): Promise<string> {
  const file = path.join(dir, 'params.yaml');
  await writeFile(file, text);
  return file;
}

async function failure(p: Promise<unknown>): Promise<ParamsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParamsError);
  return err as ParamsError;
}

describe('loadParams', () => {
  it('reads the repository params.yaml: the demo recipe, and the production recipe', async () => {
    const p = await loadParams(path.resolve('params.yaml'));
    expect(p.train.batch_size).toBe(64);
    expect(p.model.input_size).toBe(128);
    expect(p.model.width).toBe(64);
    expect(p.model.init).toBe('champion');
    expect(p.model.pretrained).toBe('models/production');
    expect(p.train.class_weight).toBe('balanced');
    expect(p.evaluate.threshold).toBe('auto');
    const prod = await loadParams(path.resolve('params.production.yaml'));
    expect(prod.model).toMatchObject({ input_size: 224, init: 'scratch' });
    expect(prod.data.dir).toBe('data/chest_xray_full');
    expect(prod.train.augment.enabled).toBe(true);
  });

  it('fills defaults for missing sections and keys', async () => {
    const p = await loadParams(await write('train:\n  epochs: 5\n'));
    expect(p.train.epochs).toBe(5);
    expect(p.train.micro_batch).toBe('auto');
    expect(p.evaluate.threshold).toBe('auto');
    expect(p.evaluate.threshold_rule).toBe('balanced_accuracy');
    expect(p.model.init).toBe('champion');
    expect(p.train.lr_schedule).toBe('constant');
    expect(p.data.dir).toBe('data/chest_xray');
  });

  it('applies --set overrides with YAML typing', async () => {
    const p = await loadParams(await write('train:\n  epochs: 5\n'), ['train.epochs=2', 'train.augment.enabled=true', 'model.pretrained=/w']);
    expect(p.train.epochs).toBe(2);
    expect(p.train.augment.enabled).toBe(true);
    expect(p.model.pretrained).toBe('/w');
  });

  it('names the key and the value in a type error', async () => {
    const err = await failure(loadParams(await write('train:\n  batch_size: abc\n')));
    expect(err.message).toBe('params.yaml: train.batch_size must be a positive integer (got "abc")');
    expect(err.code).toBe('params_invalid');
    expect(err.hint).toMatch(/docs\/training.md/);
  });

  it('rejects an unknown key inside a known section', async () => {
    const err = await failure(loadParams(await write('train:\n  epoch: 2\n')));
    expect(err.message).toContain('train.epoch is not a known key');
  });

  it('lets unknown top-level sections through for their owners', async () => {
    const p = await loadParams(await write('serving:\n  port: 8000\n'));
    expect((p as Record<string, unknown>).serving).toEqual({ port: 8000 });
  });

  it('reports every invalid key at once', async () => {
    const err = await failure(loadParams(await write('train:\n  learning_rate: -1\n  backend: gpu\nevaluate:\n  threshold: 2\n')));
    expect(err.message).toContain('train.learning_rate must be a positive number (got -1)');
    expect(err.message).toContain('train.backend must be one of');
    expect(err.message).toContain('evaluate.threshold must be "auto" or between 0 and 1 (got 2)');
  });

  it('reports broken YAML and a missing file with their own codes', async () => {
    expect((await failure(loadParams(await write('train: [1, 2\n')))).code).toBe('params_syntax');
    expect((await failure(loadParams(path.join(dir, 'nope.yaml')))).code).toBe('params_missing');
    expect((await failure(loadParams(await write('- 1\n- 2\n')))).code).toBe('params_invalid');
  });

  it('names the choices of the new training keys', async () => {
    const err = await failure(loadParams(null, ['model.init=latest', 'train.lr_schedule=step', 'evaluate.threshold=high', 'evaluate.threshold_rule=f1']));
    expect(err.message).toContain('model.init must be one of champion, pretrained, scratch (got "latest")');
    expect(err.message).toContain('train.lr_schedule must be one of constant, cosine (got "step")');
    expect(err.message).toContain('evaluate.threshold must be "auto" or a number between 0 and 1 (got "high")');
    expect(err.message).toContain('evaluate.threshold_rule must be one of balanced_accuracy, min_sensitivity (got "f1")');
  });

  it('rejects a malformed override', async () => {
    expect((await failure(loadParams(null, ['epochs']))).code).toBe('params_override');
    const err = await failure(loadParams(null, ['train.micro_batch=0']));
    expect(err.message).toContain('train.micro_batch must be "auto" or a positive integer (got 0)');
  });
});

describe('pipeline sections', () => {
  it('validates the gate and names the key of a bad value', async () => {
    const file = path.join(dir, 'params.yaml');
    await writeFile(file, 'gate:\n  min_recall: 1.5\npipeline:\n  on_mlflow_unreachable: ignore\n');
    await expect(loadParams(file)).rejects.toThrow(/gate\.min_recall must be between 0 and 1[\s\S]*pipeline\.on_mlflow_unreachable must be "fallback" or "fail"/);
  });

  it('fills the gate and pipeline defaults', async () => {
    const p = await loadParams(null);
    expect(p.gate).toEqual({ primary_metric: 'auc', min_improvement: 0.005, recall_tolerance: 0.01, min_auc: 0, min_recall: 0.8, min_specificity: 0.5 });
    expect(p.pipeline.schedule).toBe('@daily');
  });
});
