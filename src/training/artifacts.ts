import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type * as tfl from '@tensorflow/tfjs-layers';
import { parse as parseYaml } from 'yaml';
import type { EvaluationPrediction } from './evaluate.js';
import { flatMetrics, type Metrics } from './metrics.js';
import { saveModel, type ModelMetadata } from './model-io.js';
import type { Calibration } from './calibration.js';
import { confusionChart, lineChart, reliabilityChart, rocChart } from './plots.js';

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
  val_auc: number | null;
  images_per_s: number;
  seconds: number;
  /** Learning rate at the epoch's last step (absent in older folders). */
  learning_rate?: number;
}

/** `git rev-parse HEAD` in cwd, or null outside a repository / without git. */
export async function gitCommit(cwd: string): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/** The data version DVC tracks: outs[0].md5 of `<dataDir>.dvc` (e.g. data/chest_xray.dvc), or null. */
export async function dataVersion(dataDir: string): Promise<string | null> {
  const file = `${path.resolve(dataDir).replace(/[\\/]+$/, '')}.dvc`;
  if (!existsSync(file)) return null;
  try {
    const doc = parseYaml(await readFile(file, 'utf8')) as { outs?: { md5?: unknown }[] } | null;
    const md5 = doc?.outs?.[0]?.md5;
    return typeof md5 === 'string' ? md5 : null;
  } catch {
    return null;
  }
}

export interface ModelFolder {
  model: tfl.LayersModel;
  metadata: ModelMetadata;
  history: EpochRecord[];
  predictions: EvaluationPrediction[];
  /** The validation predictions the threshold was chosen on. */
  valPredictions: EvaluationPrediction[];
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * Fills a folder next to `dir` with `fill`, then renames it into place, so a reader (the registry, a serving
 * process) never sees half a model. An existing `dir` is replaced; on failure nothing changes.
 */
export async function replaceFolder(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const target = path.resolve(dir);
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    await fill(tmp);
    const old = `${target}.old-${process.pid}`;
    if (existsSync(target)) await rename(target, old);
    await rename(tmp, target);
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Writes the whole model folder atomically into outDir (see replaceFolder). */
export async function writeModelFolder(outDir: string, f: ModelFolder): Promise<void> {
  await replaceFolder(outDir, async (tmp) => {
    await saveModel(f.model, tmp, f.metadata);
    const m = f.metadata.metrics;
    await writeFile(path.join(tmp, 'metrics.json'), json(m ? flatMetrics(m) : {}));
    await writeFile(path.join(tmp, 'history.json'), json(f.history));
    await writeFile(path.join(tmp, 'predictions.json'), json(f.predictions));
    await writeFile(path.join(tmp, 'val_predictions.json'), json(f.valPredictions));
    await writePlots(path.join(tmp, 'plots'), f.history, m, f.metadata.calibration ?? null);
  });
}

async function writePlots(dir: string, history: readonly EpochRecord[], m: Metrics | null, calibration: Calibration | null): Promise<void> {
  await mkdir(dir, { recursive: true });
  const series = (name: string, pick: (e: EpochRecord) => number | null) => ({
    name,
    points: history.map((e) => ({ x: e.epoch, y: pick(e) ?? Number.NaN })),
  });
  await writeFile(path.join(dir, 'loss.svg'), lineChart('Loss per epoch', 'epoch', 'cross-entropy', [series('train', (e) => e.loss), series('val', (e) => e.val_loss)]));
  await writeFile(
    path.join(dir, 'accuracy.svg'),
    lineChart('Accuracy per epoch', 'epoch', 'accuracy / AUC', [series('train acc', (e) => e.accuracy), series('val acc', (e) => e.val_accuracy), series('val AUC', (e) => e.val_auc)], 1),
  );
  await writeFile(path.join(dir, 'roc.svg'), rocChart(m?.roc ?? [], m?.auc ?? null));
  if (calibration) await writeFile(path.join(dir, 'reliability.svg'), reliabilityChart(calibration));
  await writeFile(path.join(dir, 'confusion_matrix.svg'), confusionChart(m ?? { confusion_matrix: [[0, 0], [0, 0]], threshold: 0.5 }));
}
