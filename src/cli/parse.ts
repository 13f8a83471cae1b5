import { InvalidArgumentError } from 'commander';
import type { JsonObject } from '../engine/json.js';
import { UsageError } from './errors.js';


const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses a user-typed date. Airflow's CLI takes ISO 8601; a date or a time without a zone is UTC here
 * (Airflow's default_timezone), so `2026-01-01` and `2026-01-01T06:00` mean the same on every machine.
 */
export function parseDate(raw: string, what = 'date'): Date {
  const text = raw.trim();
  let iso = text;
  if (DATE_ONLY.test(text)) iso = `${text}T00:00:00Z`;
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text) && !HAS_ZONE.test(text)) iso = `${text.replace(' ', 'T')}Z`;
  const date = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
    throw new UsageError(`invalid ${what} "${raw}"`, 'use ISO 8601, e.g. 2026-01-01 or 2026-01-01T06:00:00Z (UTC when no zone is given)');
  }
  return date;
}

/** True when the text looks like a date rather than a run id (Airflow's `execution_date_or_run_id`). */
export function looksLikeDate(raw: string): boolean {
  return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(raw.trim());
}

/** `-c/--conf`: must be a JSON object, as Airflow requires for dag_run.conf. */
export function parseConf(raw: string | undefined): JsonObject | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw Object.assign(new UsageError(`--conf is not valid JSON (${detail})`, `pass a JSON object, e.g. -c '{"key": "value"}'`), { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError('--conf must be a JSON object', `pass a JSON object, e.g. -c '{"key": "value"}'`);
  }
  return value as JsonObject;
}

/** commander argument parser for counts such as --limit and -n. */
export function positiveInt(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

/** Seconds as people read them: 0.42s, 12.3s, 3m05s. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '-';
  if (seconds < 10) return `${seconds.toFixed(2)}s`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return `${m}m${String(s).padStart(2, '0')}s`;
}
