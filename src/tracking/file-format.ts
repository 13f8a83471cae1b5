import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { TrackingError } from './errors.js';

/**
 * meta.yaml as MLflow writes it with `yaml.safe_dump`: keys sorted, block style, and YAML 1.1 quoting
 * so that strings such as '0', 'yes' or '2026-01-01' stay strings when PyYAML reads them back.
 */
export function dumpMetaYaml(value: Record<string, unknown>): string {
  return stringify(value, { version: '1.1', sortMapEntries: true, singleQuote: true, lineWidth: 0 });
}

export async function readMetaYaml(file: string): Promise<Record<string, unknown> | null> {
  try {
    return parse(await fs.readFile(file, 'utf8'), { version: '1.1' }) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** A number as Python's str(float) prints it, which is what MLflow writes into metric files. */
export function pythonFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** One line of `metrics/<key>`: "<timestamp ms> <value> <step>\n". */
export const metricLine = (timestamp: number, value: number, step: number): string => `${timestamp} ${pythonFloat(value)} ${step}\n`;

// MLflow's _validate_metric_name/_validate_param_name: these characters only, and never a path escape.
const KEY_RE = /^[\w\-./ ]+$/;

/** A metric/param/tag key as a path under `dir`; `/` makes subfolders, as in MLflow. */
export function keyPath(dir: string, key: string, what: string): string {
  const bad = !KEY_RE.test(key) || key.split('/').some((part) => part === '' || part === '.' || part === '..') || key.startsWith('/');
  if (bad) {
    throw new TrackingError(`invalid ${what} name "${key}"`, 'invalid_key', 'names may contain letters, digits, underscores, dashes, periods, spaces and slashes (no empty, "." or ".." parts)');
  }
  return path.join(dir, ...key.split('/'));
}

/** Writes `text` to `file` (creating parent folders) with no trailing newline, as MLflow's write_to does. */
export async function writeValue(file: string, text: string, flag: 'w' | 'wx' = 'w'): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text, { flag });
}

/** meta.yaml replaced atomically (temp + rename), so `mlflow ui` never reads half a file. */
export async function writeMetaYaml(file: string, value: Record<string, unknown>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await fs.writeFile(temp, dumpMetaYaml(value));
  await fs.rename(temp, file);
}
