/**
 * The per-attempt log file: a pino logger whose destination writes one readable line per record,
 * `[2026-01-01T00:00:00.000Z] INFO - message {"extra":"fields"}`, synchronously (nothing is lost on a kill).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';

export function taskLogPath(home: string, k: { dagId: string; runId: string; taskId: string; tryNumber: number }): string {
  return path.join(home, 'logs', `dag_id=${k.dagId}`, `run_id=${k.runId}`, `task_id=${k.taskId}`, `attempt=${k.tryNumber}.log`);
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'logId', 'dagId', 'runId', 'taskId', 'tryNumber']);

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
  close(): void;
}

/**
 * One pino root per process (creating a pino instance costs more than a no-op task); each attempt gets a
 * child bound to a log id, and the destination routes lines by that id. A logger used after its attempt
 * ended (a stray callback) writes nowhere rather than into another attempt's file.
 */
const files = new Map<number, number>();
let nextId = 1;
let root: Logger | undefined;
function rootLogger(): Logger {
  root ??= pino(
    { level: 'trace', base: undefined },
    {
      write(s: string): void {
        const m = /"logId":(\d+)/.exec(s);
        const fd = m ? files.get(Number(m[1])) : undefined;
        if (fd !== undefined) writeSync(fd, formatLine(s.trimEnd()));
      },
    },
  );
  return root;
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

/** Opens (appends to) the attempt's log file and a logger bound to the attempt. */
export function openTaskLog(file: string, bindings: Record<string, unknown>, level = 'info'): TaskLog {
  makeDir(path.dirname(file));
  const id = nextId++;
  files.set(id, openSync(file, 'a'));
  const logger = rootLogger().child({ logId: id, ...bindings }, { level });
  return {
    logger,
    close() {
      const fd = files.get(id);
      if (fd === undefined) return;
      files.delete(id);
      closeSync(fd);
    },
  };
}
