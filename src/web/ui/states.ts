/**
 * Airflow's state colours (airflow/settings.py STATE_COLORS), keyed by our state names; the one place the UI
 * learns them. Pages mark a cell with `state-<name>` (`state-none` for a task instance not scheduled yet) and
 * the layout turns this table into CSS, so the palette cannot drift between pages and the legend.
 */
import type { DagRunState, TaskState } from '../../engine/service.js';

export const STATE_COLORS: Readonly<Record<TaskState, string>> = {
  success: 'green',
  failed: 'red',
  running: 'lime',
  queued: 'gray',
  scheduled: 'tan',
  upstream_failed: 'orange',
  skipped: 'hotpink',
  up_for_retry: 'gold',
  up_for_reschedule: 'turquoise',
  restarting: 'violet',
  removed: 'lightgrey',
};

/** Text that stays readable on each background. */
const DARK = new Set<string>(['success', 'failed', 'queued', 'restarting']);

export function stateClass(state: TaskState | DagRunState | null): string {
  return `state-${state ?? 'none'}`;
}

export function stateLabel(state: TaskState | DagRunState | null): string {
  return state ?? 'no status';
}

/** The CSS the layout inlines: one rule per state, plus none (white with a border, as Airflow draws it). */
export function stateCss(): string {
  const rules = Object.entries(STATE_COLORS).map(
    ([s, c]) => `.state-${s}{background:${c};border-color:${c};color:${DARK.has(s) ? '#fff' : '#000'}}`,
  );
  rules.push('.state-none{background:#fff;border:1px solid #bbb;color:#000}');
  return rules.join('\n');
}

/** Run states are a subset of task states' names; the ones still going keep a grid live. */
export function isRunActive(state: DagRunState): boolean {
  return state === 'queued' || state === 'running';
}
