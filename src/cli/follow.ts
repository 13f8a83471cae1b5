import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { DagRunRow, Engine, RunEvent, TaskInstanceRow } from '../engine/service.js';
// The facade has no path for an attempt's log (only its whole text); this is the one place that names it.
import { taskLogPath } from '../engine/executor/task-log.js';
import type { CliContext } from './context.js';
import { CliError, RunFailedError } from './errors.js';
import type { OutputFormat } from './output.js';
import { formatDuration } from './parse.js';
import { createProgress, progressText, summaryRows, SUMMARY_COLUMNS, type Progress } from './progress.js';

/** Live progress on stderr for a DAG's runs: lines on a pipe, a redrawn table on a terminal. */
export function progressFor(ctx: CliContext, engine: Engine, dagId: string): Progress {
  return createProgress({
    write: (t) => ctx.err.write(t),
    interactive: ctx.errInteractive,
    taskIds: engine.listTasks(dagId).map((t) => t.task_id),
  });
}

/** How often `--wait` looks at running tasks' logs; it shows at most one progress record per task per look. */
export const LOG_POLL_MS = 2000;
/** Most new log bytes read per attempt per look: a chatty task's backlog is skipped, not parsed. */
const MAX_READ = 256 * 1024;

/** A running attempt's log, read from where the last look stopped. */
interface Tail {
  runId: string;
  taskId: string;
  mapIndex: number;
  file: string;
  offset: number;
  /** Bytes after the last newline: a line still being written. */
  rest: Buffer;
}

/** Reads the whole lines the log gained since the last call; a log that does not exist yet has none. */
function newLines(t: Tail): string[] {
  let fd: number;
  try {
    fd = openSync(t.file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= t.offset) return [];
    const start = Math.max(t.offset, size - MAX_READ);
    const chunk = Buffer.alloc(size - start);
    const n = readSync(fd, chunk, 0, chunk.length, start);
    // After a skip the first line is cut: drop it with the stale rest.
    const skipped = start > t.offset;
    const text = Buffer.concat([skipped ? Buffer.alloc(0) : t.rest, chunk.subarray(0, n)]);
    t.offset = start + n;
    const end = text.lastIndexOf(0x0a);
    t.rest = text.subarray(end + 1);
    if (end < 0) return [];
    const lines = text.subarray(0, end).toString('utf8').split('\n');
    return skipped ? lines.slice(1) : lines;
  } finally {
    closeSync(fd);
  }
}

/** `[2026-01-01T00:00:00.000Z] INFO - train.step {"step":1}` (src/engine/executor/task-log.ts formatLine). */
const LOG_LINE = /^\[([^\]]+)\] [A-Z]+ - (.*?)(?: (\{.*\}))?$/;

function parseLogLine(line: string): { at: Date; msg: string; fields: Record<string, unknown> } | undefined {
  const m = LOG_LINE.exec(line);
  if (!m?.[1] || m[2] === undefined) return undefined;
  let fields: Record<string, unknown> = {};
  try {
    if (m[3] !== undefined) fields = JSON.parse(m[3]) as Record<string, unknown>;
  } catch {
    return undefined; // a message that merely contains braces: not a structured record
  }
  const at = new Date(m[1]);
  return Number.isNaN(at.getTime()) ? undefined : { at, msg: m[2], fields };
}

export interface LogWatcher {
  /** Feed it the run's events: it follows the attempt log of every running task. */
  onEvent(event: RunEvent): void;
  /** Reads what the running attempts' logs gained and hands each task's latest progress to the display. */
  refresh(): void;
}

/**
 * Shows training progress while a run is followed: the task's child process logs `train.step` records into
 * the attempt log, so the display reads each running attempt's new bytes (never the whole file) on every look.
 */
export function watchTaskLogs(home: string, progress: Pick<Progress, 'onTaskProgress'>): LogWatcher {
  const tails = new Map<string, Tail>();

  function look(t: Tail): void {
    let best: { at: Date; text: string; summary: boolean } | undefined;
    for (const line of newLines(t)) {
      const r = parseLogLine(line);
      const text = r && progressText(r.msg, r.fields);
      if (!r || text === undefined) continue;
      // An epoch's summary (no step) outranks the next epoch's first steps read in the same look.
      const summary = r.fields.step === undefined;
      if (!best?.summary || summary) best = { at: r.at, text, summary };
    }
    if (best) progress.onTaskProgress({ runId: t.runId, taskId: t.taskId, mapIndex: t.mapIndex, at: best.at, text: best.text });
  }

  return {
    onEvent(e) {
      if (e.type !== 'task') return;
      const key = `${e.runId}\u0000${e.taskId}\u0000${e.mapIndex}`;
      const t = tails.get(key);
      if (e.state === 'running' && e.tryNumber > 0) {
        const file = taskLogPath(home, { dagId: e.dagId, runId: e.runId, taskId: e.taskId, mapIndex: e.mapIndex, tryNumber: e.tryNumber });
        if (t?.file !== file) tails.set(key, { runId: e.runId, taskId: e.taskId, mapIndex: e.mapIndex, file, offset: 0, rest: Buffer.alloc(0) });
      } else if (t) {
        look(t); // the attempt's last records (an epoch's metrics) show before it leaves running
        tails.delete(key);
      }
    },
    refresh() {
      for (const t of tails.values()) look(t);
    },
  };
}

/** The DAG's topological order reads like the graph; ids the order does not know go last. */
function sortByOrder(tis: readonly TaskInstanceRow[], order: readonly string[]): TaskInstanceRow[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  return [...tis].sort((a, b) => (rank.get(a.task_id) ?? order.length) - (rank.get(b.task_id) ?? order.length));
}

function seconds(run: DagRunRow): number | null {
  if (!run.start_date || !run.end_date) return null;
  return (new Date(run.end_date).getTime() - new Date(run.start_date).getTime()) / 1000;
}

/**
 * Prints how a run ended: the task table (state, try, duration) and one line for the run in table/plain,
 * or the run row with its task instances in json/yaml. Throws RunFailedError when the run failed.
 */
export function printOutcome(
  ctx: CliContext,
  run: DagRunRow,
  unordered: readonly TaskInstanceRow[],
  format: OutputFormat,
  order: readonly string[] = [],
  summaries: readonly string[] = [],
): void {
  const tis = sortByOrder(unordered, order);
  if (format === 'json' || format === 'yaml') {
    ctx.out.object({ ...run, task_instances: tis, ...(summaries.length > 0 ? { summaries } : {}) }, format);
  } else {
    ctx.out.rows(summaryRows(tis), format, SUMMARY_COLUMNS);
    for (const text of summaries) ctx.out.line(`\n${text.trimEnd()}\n`);
    ctx.out.line(`run ${run.dag_run_id} of ${run.dag_id}: ${run.state ?? 'None'} in ${formatDuration(seconds(run))}`);
  }
  if (run.state === 'failed') {
    throw new RunFailedError(run.dag_id, run.dag_run_id, tis.filter((ti) => ti.state === 'failed').map((ti) => ti.task_id));
  }
}

/** `--wait`: follows a run to its end (driving it here when no scheduler is alive), then prints the outcome. */
export async function followRun(ctx: CliContext, engine: Engine, run: DagRunRow, format: OutputFormat, signal?: AbortSignal): Promise<DagRunRow> {
  const progress = progressFor(ctx, engine, run.dag_id);
  const logs = watchTaskLogs(ctx.config.home, progress);
  if (!engine.schedulerAlive()) ctx.err.line(`no scheduler is running: running ${run.dag_run_id} in this process`);
  const poll = setInterval(() => logs.refresh(), LOG_POLL_MS).unref();
  let final: DagRunRow;
  try {
    final = await engine.waitForRun(run.dag_id, run.dag_run_id, {
      onEvent: (e: RunEvent) => {
        logs.onEvent(e);
        progress.onEvent(e);
      },
      signal,
    });
  } finally {
    clearInterval(poll);
    progress.finish();
  }
  const order = engine.listTasks(final.dag_id).map((t) => t.task_id);
  const tis = engine.taskInstances(final.dag_id, final.dag_run_id);
  if (final.state !== 'success' && final.state !== 'failed') {
    // Ctrl-C / SIGTERM: the run is not over; say where it stands and how it gets finished.
    ctx.out.rows(summaryRows(sortByOrder(tis, order)), format === 'json' || format === 'yaml' ? 'table' : format, SUMMARY_COLUMNS);
    throw new CliError(
      `stopped following ${final.dag_run_id} of ${final.dag_id}; the run is still ${final.state}`,
      `start \`dagctl scheduler\` to finish it; check on it with \`dagctl tasks states-for-dag-run ${final.dag_id} ${final.dag_run_id}\``,
      'interrupted',
      130,
    );
  }
  printOutcome(ctx, final, tis, format, order, leafSummaries(engine, final, tis));
  return final;
}

/**
 * A leaf task that returns `{ "summary": "<text>" }` has that text printed after the run's table (like a CI job
 * summary): continuous_retraining's notify task says what was decided and shows both models' metrics.
 */
function leafSummaries(engine: Engine, run: DagRunRow, tis: readonly TaskInstanceRow[]): string[] {
  const leaves = new Set(engine.listTasks(run.dag_id).filter((t) => t.downstream_task_ids.length === 0).map((t) => t.task_id));
  return tis.flatMap((ti) => {
    if (!leaves.has(ti.task_id) || ti.state !== 'success') return [];
    const value = engine.xcom(run.dag_id, run.dag_run_id, ti.task_id);
    const summary = value !== null && typeof value === 'object' && !Array.isArray(value) ? value.summary : undefined;
    return typeof summary === 'string' ? [summary] : [];
  });
}
