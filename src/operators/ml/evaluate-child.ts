import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { runDagctl } from './child.js';

export type ChildEvaluation = {
  metrics: { accuracy: number; precision: number; recall: number; specificity: number; f1: number; auc: number; n: number; threshold: number; confusion_matrix: number[][] };
  predictions: { path: string; label: 0 | 1; probability: number }[];
  test_set_hash: string;
};

/** `dagctl evaluate` in a child process: metrics plus per-image predictions (for paired tests such as McNemar's). */
export async function evaluateInChild(
  modelDir: string,
  o: { dataDir: string; split: string; workDir: string; name: string; cwd: string; logger: Logger; signal: AbortSignal },
): Promise<ChildEvaluation> {
  await mkdir(o.workDir, { recursive: true });
  const predictionsFile = path.join(o.workDir, `${o.name}-predictions.json`);
  const { stdout } = await runDagctl(
    ['evaluate', '--model', modelDir, '--data', o.dataDir, '--split', o.split, '-o', 'json', '--predictions', predictionsFile, '--metrics', path.join(o.workDir, `${o.name}-metrics.json`)],
    { cwd: o.cwd, logger: o.logger.child({ model: o.name }), signal: o.signal, env: process.env, relayStdout: false },
  );
  const metrics = JSON.parse(stdout) as ChildEvaluation['metrics'] & { test_set_hash?: string };
  const written = JSON.parse(await readFile(predictionsFile, 'utf8')) as
    | ChildEvaluation['predictions']
    | { predictions: ChildEvaluation['predictions']; test_set_hash: string };
  const predictions = Array.isArray(written) ? written : written.predictions;
  const hash = Array.isArray(written) ? metrics.test_set_hash : written.test_set_hash;
  if (!hash) throw new Error(`dagctl evaluate reported no test_set_hash for ${modelDir}`);
  return { metrics, predictions, test_set_hash: hash };
}

/**
 * The evaluation `dagctl train` already made of its model on the test split (metadata.json + predictions.json),
 * or null when it evaluated on another split or wrote no predictions: then the caller evaluates in a child.
 */
export async function evaluationFromTraining(modelDir: string, split: string): Promise<ChildEvaluation | null> {
  const meta = JSON.parse(await readFile(path.join(modelDir, 'metadata.json'), 'utf8')) as {
    evaluated_on?: string;
    test_set_hash?: string | null;
    metrics?: (ChildEvaluation['metrics'] & { roc?: unknown }) | null;
  };
  if (meta.evaluated_on !== split || !meta.test_set_hash || !meta.metrics) return null;
  let predictions: ChildEvaluation['predictions'];
  try {
    predictions = JSON.parse(await readFile(path.join(modelDir, 'predictions.json'), 'utf8')) as ChildEvaluation['predictions'];
  } catch {
    return null;
  }
  const { roc: _roc, ...metrics } = meta.metrics;
  return { metrics, predictions, test_set_hash: meta.test_set_hash };
}
