import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidModelFolderError } from './errors.js';

/** Files without which a folder cannot be served; everything else (plots, history) is optional. */
export const REQUIRED_MODEL_FILES = ['model.json', 'metadata.json'] as const;

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

export async function assertModelFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (const name of REQUIRED_MODEL_FILES) if (!(await exists(path.join(dir, name)))) missing.push(name);
  if (missing.length) throw new InvalidModelFolderError(dir, missing);
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidModelFolderError(path.dirname(file), [`a valid ${path.basename(file)} (${(err as Error).message})`]);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What the registry copies into version.json: metrics.json (DVC metrics) or metadata.json's metrics, and the data version. */
export async function readModelSummary(dir: string): Promise<{ metrics: Record<string, unknown>; dataVersion: string | null }> {
  const metadata = await readJson(path.join(dir, 'metadata.json'));
  const metricsFile = await readJson(path.join(dir, 'metrics.json'));
  const meta = isRecord(metadata) ? metadata : {};
  const metrics = isRecord(metricsFile) ? metricsFile : isRecord(meta.metrics) ? meta.metrics : {};
  const dataVersion = typeof meta.data_version === 'string' ? meta.data_version : null;
  return { metrics, dataVersion };
}
