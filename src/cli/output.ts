import Table from 'cli-table3';
import { stringify as toYaml } from 'yaml';

/** Airflow's `-o/--output` choices. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'plain'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Row = Record<string, unknown>;

/** Where command output goes; tests pass their own sink. */
export interface Printer {
  /** Raw text, no newline added (a redrawn progress frame). */
  write(text: string): void;
  /** One line for people (progress, summaries). */
  line(text: string): void;
  /** A listing, in the format the user chose. `columns` fixes the order for table/plain. */
  rows(rows: readonly Row[], format: OutputFormat, columns?: readonly string[]): void;
  /** A single object (a created run, a metric table). */
  object(value: Row, format: OutputFormat): void;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value instanceof Date) return value.toISOString();
  // Lists of plain values (tags, owners, upstream ids) read better as a comma list than as JSON.
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return value.map((v) => cell(v)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function renderRows(rows: readonly Row[], format: OutputFormat, columns?: readonly string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  switch (format) {
    case 'json':
      return JSON.stringify(rows, null, 2);
    case 'yaml':
      return rows.length === 0 ? '[]' : toYaml(rows).trimEnd();
    case 'plain':
      return rows.map((r) => cols.map((c) => cell(r[c])).join('\t')).join('\n');
    case 'table': {
      if (rows.length === 0) return 'No data found';
      const table = new Table({ head: [...cols], style: { head: [], border: [] } });
      for (const r of rows) table.push(cols.map((c) => cell(r[c])));
      return table.toString();
    }
    default: {
      const never: never = format;
      throw new Error(`unknown output format ${String(never)}`);
    }
  }
}

export function renderObject(value: Row, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(value, null, 2);
    case 'yaml':
      return toYaml(value).trimEnd();
    case 'plain':
    case 'table':
      return renderRows([value], format);
    default: {
      const never: never = format;
      throw new Error(`unknown output format ${String(never)}`);
    }
  }
}

export function streamPrinter(write: (text: string) => void): Printer {
  return {
    write,
    line: (text) => write(`${text}\n`),
    rows: (rows, format, columns) => write(`${renderRows(rows, format, columns)}\n`),
    object: (value, format) => write(`${renderObject(value, format)}\n`),
  };
}
