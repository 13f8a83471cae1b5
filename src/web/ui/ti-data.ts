/** A task instance's tries: when each ran and for how long, and its log, read through the engine facade. */
import type { RunAdmin } from '../../engine/run-admin.js';
import type { Engine, Json, TaskInstanceRow } from '../../engine/service.js';

export interface TryInfo {
  tryNumber: number;
  start: string | null;
  end: string | null;
  /** Seconds. */
  duration: number | null;
  /** Where the times come from: the task instance's record (current try) or its log's first and last lines. */
  source: 'record' | 'log' | 'none';
}

const STAMP = /^\[(\d{4}-\d\d-\d\dT[\d:.]+Z)\]/gm;

/** First and last timestamp of an attempt's log (lines look like `[2026-01-01T00:00:00.000Z] INFO - …`). */
export function logSpan(log: string): { start: string; end: string } | null {
  const stamps = [...log.matchAll(STAMP)].map((m) => m[1]!);
  return stamps.length ? { start: stamps[0]!, end: stamps.at(-1)! } : null;
}

const seconds = (a: string, b: string): number => (new Date(b).getTime() - new Date(a).getTime()) / 1000;

/** Earlier tries are only in their logs (there is no task-instance history table); the current one is recorded. */
export function tries(engine: Engine, ti: TaskInstanceRow): TryInfo[] {
  const out: TryInfo[] = [];
  for (let n = 1; n <= ti.try_number; n++) {
    if (n === ti.try_number) {
      out.push({ tryNumber: n, start: ti.start_date, end: ti.end_date, duration: ti.duration, source: 'record' });
      continue;
    }
    const span = logSpan(engine.taskLog(ti.dag_id, ti.run_id, ti.task_id, n, ti.map_index ?? -1));
    out.push(span ? { tryNumber: n, ...span, duration: seconds(span.start, span.end), source: 'log' } : { tryNumber: n, start: null, end: null, duration: null, source: 'none' });
  }
  return out;
}

/** Every XCom the task instance pushed, by key. */
export function xcoms(runs: RunAdmin, ti: TaskInstanceRow): Array<{ key: string; value: Json }> {
  return runs.xcoms({ dagId: ti.dag_id, runId: ti.run_id, taskId: ti.task_id, mapIndex: ti.map_index ?? -1 }).map((x) => ({ key: x.key, value: x.value }));
}

export function formatDuration(s: number | null): string {
  if (s === null) return '-';
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
