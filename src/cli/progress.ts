import Table from 'cli-table3';
import type { RunEvent, TaskInstanceRow } from '../engine/service.js';
import { formatDuration } from './parse.js';

/** Receives the engine's run events while `trigger --wait`, `dags test` or `dags backfill` follow a run. */
export interface Progress {
  onEvent(event: RunEvent): void;
  /** Draws the last frame (TTY) and stops any pending redraw. */
  finish(): void;
}

export interface ProgressOptions {
  write: (text: string) => void;
  /** A terminal gets a redrawn table; anything else gets one line per change. */
  interactive: boolean;
  /** Task ids in display order (topological), so the table does not reorder as tasks start. */
  taskIds?: readonly string[];
  /** Most rows a redrawn table shows; the rest are summed up in its header. */
  maxRows?: number;
  /** Minimum milliseconds between two redraws. */
  redrawMs?: number;
  /** Prefix task lines with the run id (several runs at once: backfill). Lines only. */
  prefixRun?: boolean;
}

interface TaskView {
  state: string | null;
  tryNumber: number;
  /** When the current try started running (ms). */
  startedAt?: number;
  /** Run time of the finished try (s). */
  duration?: number;
  seq: number;
}

const ACTIVE = new Set(['running', 'queued', 'scheduled', 'up_for_retry', 'up_for_reschedule']);
const TERMINAL = new Set(['success', 'failed', 'skipped', 'upstream_failed', 'removed']);

const stateName = (s: string | null): string => s ?? 'none';

/** Seconds since the first event, as `+1.234s`: relative times read better than clocks in a log. */
function offset(ms: number, origin: number): string {
  return `+${((ms - origin) / 1000).toFixed(3)}s`.padStart(9);
}

export function createProgress(opts: ProgressOptions): Progress {
  // Keyed by task id, or run id + task id when several runs are followed at once.
  const tasks = new Map<string, TaskView>();
  const keyOf = (e: { runId: string; taskId: string }): string => (opts.prefixRun ? `${e.runId}\u0000${e.taskId}` : e.taskId);
  for (const id of opts.taskIds ?? []) tasks.set(id, { state: null, tryNumber: 0, seq: 0 });
  let origin: number | undefined;
  let runLabel = '';
  let runState: string = 'queued';
  const runStates = new Map<string, string>();
  let seq = 0;
  const width = [...tasks.keys()].reduce((w, id) => Math.max(w, id.length), 8);

  function apply(event: RunEvent): string | undefined {
    const at = event.at.getTime();
    origin ??= at;
    if (event.type === 'run') {
      runLabel = `${event.dagId}  ${event.runId}`;
      const before = runStates.get(event.runId) ?? 'queued';
      if (event.state === before) return undefined;
      runStates.set(event.runId, event.state);
      runState = event.state;
      return `${offset(at, origin)}  run ${event.runId}: ${before} -> ${event.state}`;
    }
    runLabel ||= `${event.dagId}  ${event.runId}`;
    const prev = tasks.get(keyOf(event));
    const view: TaskView = prev ?? { state: null, tryNumber: 0, seq: 0 };
    const before = view.state;
    if (before === event.state && view.tryNumber === event.tryNumber) return undefined;
    if (event.state === 'running') view.startedAt = at;
    if ((event.state !== null && TERMINAL.has(event.state)) || event.state === 'up_for_retry') {
      view.duration = view.startedAt === undefined ? undefined : (at - view.startedAt) / 1000;
    }
    view.state = event.state;
    view.tryNumber = event.tryNumber;
    view.seq = ++seq;
    tasks.set(keyOf(event), view);
    const tryText = event.tryNumber > 0 ? `  try ${event.tryNumber}` : '';
    const took = view.duration !== undefined && event.state !== 'running' && before === 'running' ? `  (${formatDuration(view.duration)})` : '';
    const who = opts.prefixRun ? `${event.runId}  ${event.taskId}` : event.taskId.padEnd(width);
    return `${offset(at, origin)}  ${who}  ${stateName(before)} -> ${stateName(event.state)}${tryText}${took}`;
  }

  if (!opts.interactive || opts.prefixRun) {
    let done = false;
    return {
      onEvent(event) {
        const line = done ? undefined : apply(event);
        if (line !== undefined) opts.write(`${line}\n`);
      },
      finish() {
        done = true;
      },
    };
  }

  // Terminal: redraw a table in place (cursor up over the previous frame, clear to the end).
  let drawnLines = 0;
  let lastDraw = 0;
  let timer: NodeJS.Timeout | undefined;
  const maxRows = opts.maxRows ?? 20;
  const redrawMs = opts.redrawMs ?? 80;

  function frame(now: number): string {
    const counts = new Map<string, number>();
    for (const v of tasks.values()) counts.set(stateName(v.state), (counts.get(stateName(v.state)) ?? 0) + 1);
    const done = [...tasks.values()].filter((v) => v.state !== null && TERMINAL.has(v.state)).length;
    const summary = [...counts].map(([s, n]) => `${s} ${n}`).join(' · ');
    let entries = [...tasks.entries()];
    if (entries.length > maxRows) {
      // Show what is moving first, then the most recent changes; the header counts everything.
      entries = entries
        .sort(([, a], [, b]) => Number(ACTIVE.has(stateName(b.state))) - Number(ACTIVE.has(stateName(a.state))) || b.seq - a.seq)
        .slice(0, maxRows);
    }
    const table = new Table({ head: ['task_id', 'state', 'try', 'duration'], style: { head: [], border: [] } });
    for (const [id, v] of entries) {
      const running = v.state === 'running' && v.startedAt !== undefined ? (now - v.startedAt) / 1000 : v.duration;
      table.push([id, stateName(v.state), v.tryNumber || '-', formatDuration(running)]);
    }
    const more = tasks.size > entries.length ? `  (${tasks.size - entries.length} more not shown)` : '';
    return `${runLabel}  ${runState}  ${done}/${tasks.size} done  [${summary}]${more}\n${table.toString()}\n`;
  }

  function draw(): void {
    timer = undefined;
    const now = Date.now();
    lastDraw = now;
    const text = frame(now);
    const clear = drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[0J` : '';
    opts.write(clear + text);
    drawnLines = text.split('\n').length - 1;
  }

  // Events can still arrive after the follower returned (the engine flushes its last batch); once the
  // final frame is drawn, nothing may redraw over the summary printed below it.
  let finished = false;
  return {
    onEvent(event) {
      if (finished || apply(event) === undefined) return;
      if (Date.now() - lastDraw >= redrawMs) draw();
      else timer ??= setTimeout(draw, redrawMs).unref();
    },
    finish() {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      draw();
    },
  };
}

/** The rows of the summary printed when a followed run ends. */
export function summaryRows(tis: readonly TaskInstanceRow[]): Record<string, unknown>[] {
  return tis.map((ti) => ({
    task_id: ti.task_id,
    state: ti.state ?? 'None',
    try_number: ti.try_number,
    duration: formatDuration(ti.duration),
    start_date: ti.start_date,
    end_date: ti.end_date,
  }));
}

export const SUMMARY_COLUMNS = ['task_id', 'state', 'try_number', 'duration'] as const;
