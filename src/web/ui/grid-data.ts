/**
 * What the grid shows: the DAG's tasks as rows (a task group's tasks indented under a row for the group) and
 * its latest runs as columns, oldest on the left, with each task instance's state. Read through the engine
 * facade; the same snapshot feeds the page and the live stream.
 */
import type { DagRunRow, Engine, TaskState } from '../../engine/service.js';

type TiState = TaskState | null;

export interface GridRow {
  /** A task's id, or a group's id for a group row. */
  id: string;
  /** The last part of the id: what the row shows, indented by depth. */
  label: string;
  depth: number;
  isGroup: boolean;
}

export interface GridData {
  dagId: string;
  rows: GridRow[];
  /** Oldest first. */
  runs: DagRunRow[];
  /** run_id -> task_id -> state. */
  states: Map<string, Map<string, TiState>>;
}

/** Rows in the DAG's topological order, each group's row where its first task appears. */
export function gridRows(taskIds: readonly string[]): GridRow[] {
  const rows: GridRow[] = [];
  const seen = new Set<string>();
  for (const id of taskIds) {
    const parts = id.split('.');
    for (let depth = 0; depth < parts.length - 1; depth++) {
      const gid = parts.slice(0, depth + 1).join('.');
      if (seen.has(gid)) continue;
      seen.add(gid);
      rows.push({ id: gid, label: parts[depth]!, depth, isGroup: true });
    }
    rows.push({ id, label: parts.at(-1)!, depth: parts.length - 1, isGroup: false });
  }
  return rows;
}

// A group shows the most pressing state among its tasks, as Airflow's grid summarises a group.
const GROUP_ORDER: readonly (TiState | 'none')[] = [
  'failed', 'upstream_failed', 'up_for_retry', 'up_for_reschedule', 'restarting', 'running', 'queued', 'scheduled', 'none', 'skipped', 'removed', 'success',
];

export function groupState(groupId: string, states: Map<string, TiState> | undefined): TiState {
  if (!states) return null;
  const prefix = `${groupId}.`;
  let best = GROUP_ORDER.length;
  for (const [taskId, s] of states) {
    if (!taskId.startsWith(prefix)) continue;
    best = Math.min(best, GROUP_ORDER.indexOf(s ?? 'none'));
  }
  const s = GROUP_ORDER[best];
  return s === undefined || s === 'none' ? null : s;
}

/** task_id -> state of one run (mapped task instances, once they exist, fold into their task's row). */
export function runStates(engine: Engine, dagId: string, runId: string): Map<string, TiState> {
  const out = new Map<string, TiState>();
  for (const ti of engine.taskInstances(dagId, runId)) {
    const prev = out.get(ti.task_id);
    out.set(ti.task_id, prev === undefined ? ti.state : (GROUP_ORDER.indexOf(ti.state ?? 'none') < GROUP_ORDER.indexOf(prev ?? 'none') ? ti.state : prev));
  }
  return out;
}

export function gridData(engine: Engine, dagId: string, numRuns: number): GridData {
  const tasks = engine.listTasks(dagId).map((t) => t.task_id);
  const runs = engine.listDagRuns({ dagId, limit: numRuns }).reverse();
  const states = new Map(runs.map((r) => [r.run_id, runStates(engine, dagId, r.run_id)]));
  return { dagId, rows: gridRows(tasks), runs, states };
}

