/**
 * The per-attempt log file: a pino logger whose destination writes one readable line per record,
 * `[2026-01-01T00:00:00.000Z] INFO - message {"extra":"fields"}`, synchronously (nothing is lost on a kill).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';

/** Airflow's log_filename_template: `dag_id=…/run_id=…/task_id=…/[map_index=…/]attempt=N.log`. */
export function taskLogPath(home: string, k: { dagId: string; runId: string; taskId: string; mapIndex?: number; tryNumber: number }): string {
  const mapped = (k.mapIndex ?? -1) >= 0 ? [`map_index=${k.mapIndex}`] : [];
  return path.join(home, 'logs', `dag_id=${k.dagId}`, `run_id=${k.runId}`, `task_id=${k.taskId}`, ...mapped, `attempt=${k.tryNumber}.log`);
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'logId', 'dagId', 'runId', 'taskId', 'mapIndex', 'tryNumber']);

export function formatLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString() : String(rec.time ?? '');
  const level = LEVELS[rec.level as number] ?? String(rec.level);
  const extra: Record<string, unknown> = {};
  let stack = '';
  for (const [k, v] of Object.entries(rec)) {
    if (HIDDEN.has(k)) continue;
    if (k === 'err' && v && typeof v === 'object' && 'stack' in v) stack = `\n${String((v as { stack: unknown }).stack)}`;
    else extra[k] = v;
  }
  const tail = Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
  return `[${time}] ${level} - ${String(rec.msg ?? '')}${tail}${stack}\n`;
}

export interface TaskLog {
  logger: Logger;
  /** A line of the attempt's own bookkeeping (start, success): kept in memory until the file exists. */
  note(msg: string): void;
  /** Creates the file now and writes what was held back (the attempt runs long, or it did not succeed). */
  materialize(): void;
  /** Closes the file; a quiet attempt (nothing but notes) that was never materialized leaves no file. */
  close(): void;
}

/**
 * One pino root per process (creating a pino instance costs more than a no-op task); each attempt gets a
 * child bound to a log id, and the destination routes lines by that id. A logger used after its attempt
 * ended (a stray callback) writes nowhere rather than into another attempt's file.
 * Files are created lazily: a folder and a file cost ~1 ms of filesystem work here, more than a no-op
 * task, so an attempt's notes wait in memory until the task logs something, fails, or runs for a while.
 */
interface Entry {
  file: string;
  fd: number | undefined;
  held: string[];
}
const files = new Map<number, Entry>();
let nextId = 1;
let root: Logger | undefined;
function rootLogger(): Logger {
  root ??= pino(
    { level: 'trace', base: undefined },
    {
      write(s: string): void {
        const m = /"logId":(\d+)/.exec(s);
        const e = m ? files.get(Number(m[1])) : undefined;
        if (e) writeSync(open(e), formatLine(s.trimEnd()));
      },
    },
  );
  return root;
}

function open(e: Entry): number {
  if (e.fd === undefined) {
    makeDir(path.dirname(e.file));
    e.fd = openSync(e.file, 'a');
    if (e.held.length > 0) writeSync(e.fd, e.held.join(''));
    e.held = [];
  }
  return e.fd;
}

/** The run folder usually exists already (an earlier task of the run made it): one mkdir, not a recursive walk. */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') mkdirSync(dir, { recursive: true });
    else if (code !== 'EEXIST') throw e;
  }
}

/** The attempt's log file (appended to) and a logger bound to the attempt. */
export function openTaskLog(file: string, bindings: Record<string, unknown>, level = 'info'): TaskLog {
  const id = nextId++;
  const entry: Entry = { file, fd: undefined, held: [] };
  files.set(id, entry);
  const logger = rootLogger().child({ logId: id, ...bindings }, { level });
  return {
    logger,
    note(msg) {
      const line = `[${new Date().toISOString()}] INFO - ${msg}\n`;
      if (entry.fd === undefined) entry.held.push(line);
      else writeSync(entry.fd, line);
    },
    materialize() {
      if (files.get(id) === entry) open(entry);
    },
    close() {
      if (files.get(id) !== entry) return;
      files.delete(id);
      if (entry.fd !== undefined) closeSync(entry.fd);
    },
  };
}
