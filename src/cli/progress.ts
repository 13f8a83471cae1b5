import Table from 'cli-table3';
import type { RunEvent, TaskInstanceRow } from '../engine/service.js';
import { formatDuration } from './parse.js';

/** Receives the engine's run events while `trigger --wait`, `dags test` or `dags backfill` follow a run. */
export interface Progress {
  onEvent(event: RunEvent): void;
  /** The latest progress of a running task (from its attempt log): a line on a pipe, a table column on a terminal. */
  onTaskProgress(update: TaskProgress): void;
  /** Draws the last frame (TTY) and stops any pending redraw. */
  finish(): void;
}

export interface TaskProgress {
  runId: string;
  taskId: string;
  /** -1 unless it is one instance of a mapped task. */
  mapIndex: number;
  /** When the task logged it. */
  at: Date;
  /** What `progressText` made of the record. */
  text: string;
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

type TiRef = { runId: string; taskId: string; mapIndex: number };
/** `train`, or `train[2]` for one instance of a mapped task (as Airflow's UI names it). */
const label = (e: TiRef): string => (e.mapIndex >= 0 ? `${e.taskId}[${e.mapIndex}]` : e.taskId);

interface TaskView {
  state: string | null;
  tryNumber: number;
  /** When the current try started running (ms). */
  startedAt?: number;
  /** Run time of the finished try (s). */
  duration?: number;
  seq: number;
  /** Latest progress text of the current try. */
  progress?: string;
}

const ACTIVE = new Set(['running', 'restarting', 'queued', 'scheduled', 'up_for_retry', 'up_for_reschedule']);
const TERMINAL = new Set(['success', 'failed', 'skipped', 'upstream_failed', 'removed']);

const stateName = (s: string | null): string => s ?? 'none';

/** Seconds since the first event, as `+1.234s`: relative times read better than clocks in a log. */
function offset(ms: number, origin: number): string {
  return `+${((ms - origin) / 1000).toFixed(3)}s`.padStart(9);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * A log record as one short progress text (`epoch 1/3  step 3/6  loss 0.691  4.2 img/s  eta 1m12s`), or
 * undefined when it is not progress: only train.step / train.epoch and records counting step/steps or
 * epoch/epochs qualify, so other tasks' chatter never reaches the screen.
 */
export function progressText(msg: string, f: Readonly<Record<string, unknown>>): string | undefined {
  const [epoch, epochs, step, steps] = [num(f.epoch), num(f.epochs), num(f.step), num(f.steps)];
  const counted = (step !== undefined && steps !== undefined) || (epoch !== undefined && epochs !== undefined);
  if (!counted && msg !== 'train.step' && msg !== 'train.epoch') return undefined;
  const of = (name: string, n: number | undefined, total: number | undefined): string | undefined =>
    n === undefined ? undefined : `${name} ${n}${total === undefined ? '' : `/${total}`}`;
  const metric = (label: string, v: number | undefined): string | undefined => (v === undefined ? undefined : `${label} ${v.toFixed(3)}`);
  const rate = num(f.images_per_s);
  const eta = num(f.eta_s);
  const parts = [
    of('epoch', epoch, epochs),
    of('step', step, steps),
    metric('loss', num(f.loss)),
    metric('val_loss', num(f.val_loss)),
    metric('val_acc', num(f.val_accuracy)),
    metric('val_auc', num(f.val_auc)),
    rate === undefined ? undefined : `${rate.toFixed(1)} img/s`,
    eta === undefined ? undefined : `eta ${formatDuration(eta)}`,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join('  ') : undefined;
}

export function createProgress(opts: ProgressOptions): Progress {
  // Keyed by task id, or run id + task id when several runs are followed at once.
  const tasks = new Map<string, TaskView>();
  const keyOf = (e: TiRef): string => (opts.prefixRun ? `${e.runId}\u0000${label(e)}` : label(e));
  for (const id of opts.taskIds ?? []) tasks.set(id, { state: null, tryNumber: 0, seq: 0 });
  let origin: number | undefined;
  let runLabel = '';
  let runState: string = 'queued';
  const runStates = new Map<string, string>();
  let seq = 0;
  const width = [...tasks.keys()].reduce((w, id) => Math.max(w, id.length), 8);

  const who = (e: TiRef): string => (opts.prefixRun ? `${e.runId}  ${label(e)}` : label(e).padEnd(width));

  /** Records a task's progress; returns the line to print, or undefined when it says nothing new. */
  function applyProgress(u: TaskProgress): string | undefined {
    const at = u.at.getTime();
    origin ??= at;
    const view = tasks.get(keyOf(u));
    if (view === undefined || view.progress === u.text) return undefined;
    view.progress = u.text;
    return `${offset(at, origin)}  ${who(u)}  ${u.text}`;
  }

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
    // A mapped task's placeholder row gives way to its instances once it is expanded.
    if (event.mapIndex >= 0) tasks.delete(keyOf({ ...event, mapIndex: -1 }));
    const prev = tasks.get(keyOf(event));
    const view: TaskView = prev ?? { state: null, tryNumber: 0, seq: 0 };
    const before = view.state;
    if (before === event.state && view.tryNumber === event.tryNumber) return undefined;
    if (event.state === 'running') {
      view.startedAt = at;
      view.progress = undefined; // a new try starts from scratch
    }
    if ((event.state !== null && TERMINAL.has(event.state)) || event.state === 'up_for_retry') {
      view.duration = view.startedAt === undefined ? undefined : (at - view.startedAt) / 1000;
    }
    view.state = event.state;
    view.tryNumber = event.tryNumber;
    view.seq = ++seq;
    tasks.set(keyOf(event), view);
    const tryText = event.tryNumber > 0 ? `  try ${event.tryNumber}` : '';
    const took = view.duration !== undefined && event.state !== 'running' && before === 'running' ? `  (${formatDuration(view.duration)})` : '';
    return `${offset(at, origin)}  ${who(event)}  ${stateName(before)} -> ${stateName(event.state)}${tryText}${took}`;
  }

  if (!opts.interactive || opts.prefixRun) {
    let done = false;
    return {
      onEvent(event) {
        const line = done ? undefined : apply(event);
        if (line !== undefined) opts.write(`${line}\n`);
      },
      onTaskProgress(update) {
        const line = done ? undefined : applyProgress(update);
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
    // The progress column appears once some task reported progress; DAGs without it keep the narrow table.
    const withProgress = entries.some(([, v]) => v.progress !== undefined);
    const head = ['task_id', 'state', 'try', 'duration', ...(withProgress ? ['progress'] : [])];
    const table = new Table({ head, style: { head: [], border: [] } });
    for (const [id, v] of entries) {
      const running = v.state === 'running' && v.startedAt !== undefined ? (now - v.startedAt) / 1000 : v.duration;
      table.push([id, stateName(v.state), v.tryNumber || '-', formatDuration(running), ...(withProgress ? [v.progress ?? ''] : [])]);
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
  function changed(): void {
    if (Date.now() - lastDraw >= redrawMs) draw();
    else timer ??= setTimeout(draw, redrawMs).unref();
  }
  return {
    onEvent(event) {
      if (!finished && apply(event) !== undefined) changed();
    },
    onTaskProgress(update) {
      if (!finished && applyProgress(update) !== undefined) changed();
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
