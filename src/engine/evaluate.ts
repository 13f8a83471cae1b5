/**
 * Dependency evaluation for one run: for task instances in state none, apply their trigger rules to their
 * upstream states and decide scheduled / skipped / upstream_failed, cascading settled states downstream.
 * Only the given candidates (downstream of what changed) are looked at, so a finishing task costs
 * O(its downstream edges), not O(run size). A mapped task that may run is expanded here: its number of
 * instances comes from its lists, known now or from its upstream tasks' return values.
 */
import type { DAG } from './dag.js';
import { UnmappableXComError } from './errors.js';
import { pullXcom } from './mapping.js';
import type { BaseOperator, MappedOperator } from './operator.js';
import type { TiState } from './states.js';
import type { RunKey } from './store/rows.js';
import type { Store, TiDecision } from './store/store.js';
import { countUpstream, evaluateTriggerRule, type TriggerDecision } from './trigger-rules.js';

export function decideRun(store: Store, dag: DAG, run: RunKey, candidates: Iterable<string> | 'all'): TiDecision[] {
  let states: Map<string, TiState[]>;
  let work: string[];
  const removed: TiDecision[] = [];
  const waiting = (id: string): boolean => states.get(id)?.includes(null) ?? false;
  if (candidates === 'all') {
    states = store.tiStates(run);
    work = dag.topologicalOrder().filter((t) => waiting(t.taskId)).map((t) => t.taskId);
    // Task instances of tasks no longer in the DAG are `removed` (Airflow's verify_integrity), so the run can end.
    for (const [taskId, list] of states) if (list.includes(null) && !dag.hasTask(taskId)) removed.push({ taskId, from: null, to: 'removed' });
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
    for (const id of missing) if (!states.has(id)) states.set(id, []); // no TI row: ignored
  };
  const decisions: TiDecision[] = [];
  for (let i = 0; i < work.length; i++) {
    const id = work[i]!;
    if (!waiting(id)) continue;
    const task = dag.task(id);
    if (!task) continue;
    const ups = [...task.upstream];
    ensure(ups.map((u) => u.taskId));
    const d = evaluateTriggerRule(task.triggerRule, countUpstream(ups.flatMap((u) => upstreamStates(u, states.get(u.taskId) ?? []))));
    if (d.kind === 'wait') continue;
    const decision: TiDecision = { taskId: id, from: null, to: d.kind === 'run' ? 'scheduled' : d.state };
    if (decision.to === 'scheduled' && task.isMapped) expandInto(decision, task as MappedOperator, store, run);
    decisions.push(decision);
    const list = states.get(id)!;
    const expanded = decision.expand?.count ?? 0;
    states.set(id, expanded > 0 ? [...list.filter((s) => s !== null), ...Array<TiState>(expanded).fill(decision.to)] : list.map((s) => s ?? decision.to));
    if (decision.to !== 'scheduled') {
      const downs = [...task.downstream].map((t) => t.taskId);
      ensure(downs);
      work.push(...downs);
    }
  }
  return [...removed, ...decisions];
}

/** The states an upstream task contributes: each of its instances; a mapped one's removed indexes are no longer part of it. */
function upstreamStates(task: BaseOperator, list: TiState[]): TiState[] {
  return task.isMapped ? list.filter((s) => s !== 'removed') : list;
}

/** How many instances a mapped task has in this run (zero: skipped); an upstream that returned no list fails it. */
function expandInto(decision: TiDecision, task: MappedOperator, store: Store, run: RunKey): void {
  try {
    const count = task.mapCount((t) => pullXcom(store, run, t));
    decision.expand = { count, maxTries: task.retries };
    if (count === 0) decision.to = 'skipped'; // Airflow: a zero-length expansion skips the task
  } catch (e) {
    if (!(e instanceof UnmappableXComError)) throw e;
    decision.to = 'upstream_failed'; // its upstream succeeded without a list (e.g. marked success by hand)
  }
}

/** Why a task instance in state none is not running yet (for `tasks failed-deps`). */
export function explainTi(store: Store, dag: DAG, run: RunKey, taskId: string): TriggerDecision {
  const task = dag.task(taskId);
  if (!task) return { kind: 'wait', reason: `task '${taskId}' is not in DAG '${dag.dagId}'` };
  const ups = [...task.upstream];
  const states = store.tiStates(run, ups.map((u) => u.taskId));
  return evaluateTriggerRule(task.triggerRule, countUpstream(ups.flatMap((u) => upstreamStates(u, states.get(u.taskId) ?? [null]))));
}
