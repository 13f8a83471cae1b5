/**
 * Dependency evaluation for one run: for task instances in state none, apply their trigger rules to their
 * upstream states and decide scheduled / skipped / upstream_failed, cascading settled states downstream.
 * Only the given candidates (downstream of what changed) are looked at, so a finishing task costs
 * O(its downstream edges), not O(run size).
 */
import type { DAG } from './dag.js';
import type { TiState } from './states.js';
import type { RunKey } from './store/rows.js';
import type { Store, TiDecision } from './store/store.js';
import { countUpstream, evaluateTriggerRule, type TriggerDecision } from './trigger-rules.js';

export function decideRun(store: Store, dag: DAG, run: RunKey, candidates: Iterable<string> | 'all'): TiDecision[] {
  let states: Map<string, TiState>;
  let work: string[];
  const removed: TiDecision[] = [];
  if (candidates === 'all') {
    states = store.tiStates(run);
    work = dag.topologicalOrder().filter((t) => states.get(t.taskId) === null).map((t) => t.taskId);
    // Task instances of tasks no longer in the DAG are `removed` (Airflow's verify_integrity), so the run can end.
    for (const [taskId, state] of states) if (state === null && !dag.hasTask(taskId)) removed.push({ taskId, from: null, to: 'removed' });
  } else {
    work = [...new Set(candidates)];
    const ids = new Set(work);
    for (const id of work) for (const u of dag.task(id)?.upstream ?? []) ids.add(u.taskId);
    states = store.tiStates(run, [...ids]);
  }
  const ensure = (ids: string[]): void => {
    const missing = ids.filter((id) => !states.has(id));
    if (missing.length === 0) return;
    for (const [k, v] of store.tiStates(run, missing)) states.set(k, v);
    for (const id of missing) if (!states.has(id)) states.set(id, undefined as unknown as TiState); // no TI row: ignored
  };
  const decisions: TiDecision[] = [];
  for (let i = 0; i < work.length; i++) {
    const id = work[i]!;
    if (states.get(id) !== null) continue;
    const task = dag.task(id);
    if (!task) continue;
    const ups = [...task.upstream].map((u) => u.taskId);
    ensure(ups);
    const d = evaluateTriggerRule(task.triggerRule, countUpstream(ups.map((u) => states.get(u)).filter((s) => s !== undefined)));
    if (d.kind === 'wait') continue;
    const to = d.kind === 'run' ? 'scheduled' : d.state;
    decisions.push({ taskId: id, from: null, to });
    states.set(id, to);
    if (d.kind === 'set') {
      const downs = [...task.downstream].map((t) => t.taskId);
      ensure(downs);
      work.push(...downs);
    }
  }
  return [...removed, ...decisions];
}

/** Why a task instance in state none is not running yet (for `tasks failed-deps`). */
export function explainTi(store: Store, dag: DAG, run: RunKey, taskId: string): TriggerDecision {
  const task = dag.task(taskId);
  if (!task) return { kind: 'wait', reason: `task '${taskId}' is not in DAG '${dag.dagId}'` };
  const ups = [...task.upstream].map((u) => u.taskId);
  const states = store.tiStates(run, ups);
  return evaluateTriggerRule(task.triggerRule, countUpstream(ups.map((u) => states.get(u) ?? null)));
}
