import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { initBackend } from '../../src/training/backends/index.js';
import { saveModel, type ModelMetadata } from '../../src/training/model-io.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/training/preprocess.js';
import { buildResNet18 } from '../../src/training/resnet.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/serve');
export const XRAYS = ['normal-1.jpeg', 'normal-2.jpeg', 'pneumonia-1.jpeg', 'pneumonia-2.jpeg'] as const;

export function fixture(name: string): Promise<Buffer> {
  return readFile(path.join(FIXTURES, name));
}

/** Silent unless SERVE_TEST_LOG=debug; the server logs a lot at info. */
export function testLogger(): Logger {
  return pino({ level: process.env.SERVE_TEST_LOG ?? 'silent' });
}

let backendReady: Promise<unknown> | null = null;
export function cpuBackend(): Promise<unknown> {
  backendReady ??= initBackend('cpu', testLogger());
  return backendReady;
}

export async function tempDir(prefix = 'dagctl-serve-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes a tiny, untrained ResNet18 model folder (32x32 input, width 8) with the real saveModel:
 * the same format as `dagctl train`, small enough to load and run in milliseconds. `seed` changes
 * the weights, so two folders give different (but deterministic) predictions.
 */
export async function writeTinyModel(dir: string, o: { seed?: number; inputSize?: number; width?: number; threshold?: number } = {}): Promise<string> {
  await cpuBackend();
  const inputSize = o.inputSize ?? 32;
  const width = o.width ?? 8;
  const model = buildResNet18({ inputSize, width, seed: o.seed ?? 1 });
  const metadata = {
    format_version: 1,
    class_names: ['NORMAL', 'PNEUMONIA'],
    input_size: inputSize,
    width,
    preprocessing: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], channels: 3, resize: 'fill' },
    params: {},
    ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    data_version: null,
    backend: { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', threads: 1 },
    git_commit: null,
    metrics: {
      accuracy: 0.9,
      precision: 0.91,
      recall: 0.95,
      specificity: 0.8,
      f1: 0.93,
      auc: 0.96,
      n: 200,
      threshold: 0.5,
      confusion_matrix: [
        [80, 20],
        [5, 95],
      ],
      roc: [],
    },
    best_epoch: 1,
    epochs_run: 1,
    training_time_s: 0,
    train_images_per_s: 0,
    trained_from_scratch: true,
    pretrained_from: null,
    created_at: new Date(0).toISOString(),
    counts: { train: { NORMAL: 0, PNEUMONIA: 0 }, val: { NORMAL: 0, PNEUMONIA: 0 }, test: null },
    skipped_files: [],
    test_set_hash: null,
    evaluated_on: 'test',
  } as unknown as ModelMetadata; // test fixture: params are not what this module is about
  await saveModel(model, dir, metadata);
  model.dispose();
  return dir;
}

/** Request bodies as fetch accepts them. */
export type Body = NonNullable<RequestInit['body']>;

// Tests assert on the JSON they receive field by field; typing every response shape would only
// restate those assertions, so response bodies are deliberately untyped here.
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any;

export async function json(res: Response | Promise<Response>): Promise<Json> {
  return (await res).json();
}
