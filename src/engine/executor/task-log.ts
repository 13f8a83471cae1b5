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
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'dagId', 'runId', 'taskId', 'tryNumber']);

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
  /** Appends a raw line (subprocess output) without decoration. */
  close(): void;
}

/** Opens (appends to) the attempt's log file and a logger bound to the attempt. */
export function openTaskLog(file: string, bindings: Record<string, unknown>, level = 'info'): TaskLog {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'a');
  let open = true;
  const dest = {
    write(s: string): void {
      if (open) writeSync(fd, formatLine(s.trimEnd()));
    },
  };
  const logger = pino({ level, base: undefined }, dest).child(bindings);
  return {
    logger,
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
