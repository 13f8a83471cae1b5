/**
 * A DAG: its options (Airflow 2 names, durations in seconds), its tasks, and validation
 * (duplicate task ids, unknown references, cycles) with messages that name the tasks involved.
 */
import { DagDefinitionError } from './errors.js';
import { isJsonObject, type Json, type JsonObject } from './json.js';
import { BaseOperator, isOperator, validateId, type Callback, type DefaultArgs } from './operator.js';
import { parseSchedule, type Schedule, type ScheduleInput } from './schedule.js';
import { TaskGroup } from './task-group.js';

export interface DagOptions {
  dagId: string;
  /** null (manual only, the default here), '@once', a preset ('@daily', …) or a 5-field cron string; UTC. */
  schedule?: string | null;
  /** Required when scheduled: the first interval starts here. */
  startDate?: Date;
  endDate?: Date;
  /** Create one run per missed interval (Airflow 2 default true). */
  catchup?: boolean;
  tags?: string[];
  /** Defaults for the run's params; a run's conf overrides them. */
  params?: JsonObject;
  defaultArgs?: DefaultArgs;
  /** Default 16; extra runs stay queued. */
  maxActiveRuns?: number;
  /** Default 16 running/queued task instances of this DAG at once. */
  maxActiveTasks?: number;
  /** Seconds; a run still going after this is failed. */
  dagrunTimeout?: number;
  /** Default true, as Airflow's dags_are_paused_at_creation. */
  isPausedUponCreation?: boolean;
  onSuccess?: Callback;
  onFailure?: Callback;
  description?: string;
  doc?: string;
}

export const DAG_MARK = Symbol.for('dagctl.dag');

export class DAG {
  readonly [DAG_MARK] = true;
  readonly dagId: string;
  readonly schedule: Schedule;
  readonly scheduleText: string | null;
  readonly startDate: Date | undefined;
  readonly endDate: Date | undefined;
  readonly catchup: boolean;
  readonly tags: string[];
  readonly params: JsonObject;
  readonly defaultArgs: DefaultArgs;
  readonly maxActiveRuns: number;
  readonly maxActiveTasks: number;
  readonly dagrunTimeout: number | undefined;
  readonly isPausedUponCreation: boolean;
  readonly onSuccess: Callback | undefined;
  readonly onFailure: Callback | undefined;
  readonly description: string | undefined;
  readonly doc: string | undefined;
  /** Set by the loader: the file this DAG came from. */
  fileloc = '';
  readonly #tasks = new Map<string, BaseOperator>();
  readonly #groups = new Map<string, TaskGroup>();
  #priorities: Map<string, number> | undefined;
  #order: BaseOperator[] | undefined;

  constructor(o: DagOptions) {
    validateId('dagId', o.dagId);
    const where = `DAG '${o.dagId}'`;
    this.dagId = o.dagId;
    this.schedule = parseSchedule(o.schedule, `${where}: schedule`);
    this.scheduleText = o.schedule ?? null;
    const date = (v: unknown, field: string): Date | undefined => {
      if (v === undefined) return undefined;
      if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw new DagDefinitionError(`${where}: ${field} must be a valid Date`);
      return v;
    };
    this.startDate = date(o.startDate, 'startDate');
    this.endDate = date(o.endDate, 'endDate');
    if (this.schedule.kind !== 'none' && !this.startDate) {
      throw new DagDefinitionError(`${where}: a scheduled DAG needs a startDate`, { hint: "add startDate: new Date('2026-01-01T00:00:00Z')" });
    }
    this.catchup = o.catchup ?? true;
    this.tags = o.tags ?? [];
    if (o.params !== undefined && !isJsonObject(o.params)) throw new DagDefinitionError(`${where}: params must be a JSON object`);
    this.params = o.params ?? {};
    this.defaultArgs = o.defaultArgs ?? {};
    const positive = (v: number | undefined, dflt: number, field: string): number => {
      const x = v ?? dflt;
      if (!Number.isInteger(x) || x < 1) throw new DagDefinitionError(`${where}: ${field} must be a whole number >= 1, got ${x}`);
      return x;
    };
    this.maxActiveRuns = positive(o.maxActiveRuns, 16, 'maxActiveRuns');
    this.maxActiveTasks = positive(o.maxActiveTasks, 16, 'maxActiveTasks');
    if (o.dagrunTimeout !== undefined && !(o.dagrunTimeout > 0)) throw new DagDefinitionError(`${where}: dagrunTimeout must be seconds > 0`);
    this.dagrunTimeout = o.dagrunTimeout;
    this.isPausedUponCreation = o.isPausedUponCreation ?? true;
    this.onSuccess = o.onSuccess;
    this.onFailure = o.onFailure;
    this.description = o.description;
    this.doc = o.doc;
  }

  /** Adds a task (applying defaultArgs) and returns it. */
  // any: a DAG holds tasks of every output type.
  add<T extends BaseOperator<any>>(task: T): T {
    if (!isOperator(task)) throw new DagDefinitionError(`DAG '${this.dagId}': add() expects an operator instance`);
    if (this.#tasks.has(task.taskId) || this.#groups.has(task.taskId)) {
      throw new DagDefinitionError(`DAG '${this.dagId}': duplicate task id '${task.taskId}'`, { hint: 'task ids must be unique within a DAG and differ from task group ids' });
    }
    if (task.dag && task.dag !== this) {
      throw new DagDefinitionError(`task '${task.taskId}' already belongs to DAG '${task.dag.dagId}'`);
    }
    task.applyDefaults(this.defaultArgs, `DAG '${this.dagId}', task '${task.taskId}'`);
    task.dag = this;
    this.#tasks.set(task.taskId, task);
    this.#order = undefined;
    this.#priorities = undefined;
    return task;
  }

  /**
   * A task group (Airflow's TaskGroup): `const g = dag.group('extract'); g.add(task)` names the task
   * `extract.<taskId>`; `g.then(x)` and `x.then(g)` wire the group like a task.
   */
  group(groupId: string, o: { tooltip?: string } = {}): TaskGroup {
    return this.registerGroup(new TaskGroup(this, groupId, undefined, o.tooltip));
  }
  /** Records a group under its full id (called by group() and by a group's own group()). */
  registerGroup(g: TaskGroup): TaskGroup {
    if (this.#groups.has(g.groupId) || this.#tasks.has(g.groupId)) {
      throw new DagDefinitionError(`DAG '${this.dagId}': duplicate task group id '${g.groupId}'`, { hint: 'group ids must be unique within a DAG and differ from task ids' });
    }
    this.#groups.set(g.groupId, g);
    return g;
  }
  get groups(): TaskGroup[] {
    return [...this.#groups.values()];
  }

  get tasks(): BaseOperator[] {
    return [...this.#tasks.values()];
  }
  get taskIds(): string[] {
    return [...this.#tasks.keys()];
  }
  hasTask(taskId: string): boolean {
    return this.#tasks.has(taskId);
  }
  /** The task, or undefined. */
  task(taskId: string): BaseOperator | undefined {
    return this.#tasks.get(taskId);
  }
  get roots(): BaseOperator[] {
    return this.tasks.filter((t) => t.upstream.size === 0);
  }
  get leaves(): BaseOperator[] {
    return this.tasks.filter((t) => t.downstream.size === 0);
  }

  /** Checks references and cycles; the loader calls it, so a bad DAG becomes an import error. */
  validate(): void {
    for (const t of this.#tasks.values()) {
      for (const other of [...t.upstream, ...t.downstream]) {
        if (this.#tasks.get(other.taskId) !== other) {
          throw new DagDefinitionError(
            `DAG '${this.dagId}': task '${t.taskId}' refers to task '${other.taskId}', which was not added to this DAG`,
            { hint: `add it with dag.add(...) before exporting the DAG` },
          );
        }
      }
    }
    this.topologicalOrder();
  }

  /** Tasks with every upstream before its downstream; throws DagDefinitionError naming a cycle. */
  topologicalOrder(): BaseOperator[] {
    if (this.#order) return this.#order;
    const indeg = new Map<BaseOperator, number>();
    for (const t of this.#tasks.values()) indeg.set(t, t.upstream.size);
    const ready = this.tasks.filter((t) => t.upstream.size === 0);
    const out: BaseOperator[] = [];
    for (let i = 0; i < ready.length; i++) {
      const t = ready[i]!;
      out.push(t);
      for (const d of t.downstream) {
        const n = (indeg.get(d) ?? 0) - 1;
        indeg.set(d, n);
        if (n === 0) ready.push(d);
      }
    }
    if (out.length < this.#tasks.size) {
      throw new DagDefinitionError(`DAG '${this.dagId}': cycle detected: ${this.#findCycle(new Set(out)).join(' -> ')}`, {
        hint: 'remove one of these dependencies',
      });
    }
    this.#order = out;
    return out;
  }

  #findCycle(acyclic: Set<BaseOperator>): string[] {
    const onPath: BaseOperator[] = [];
    const visited = new Set<BaseOperator>();
    const dfs = (t: BaseOperator): string[] | undefined => {
      const at = onPath.indexOf(t);
      if (at >= 0) return [...onPath.slice(at), t].map((x) => x.taskId);
      if (visited.has(t) || acyclic.has(t)) return undefined;
      visited.add(t);
      onPath.push(t);
      for (const d of t.downstream) {
        const c = dfs(d);
        if (c) return c;
      }
      onPath.pop();
      return undefined;
    };
    for (const t of this.#tasks.values()) {
      const c = dfs(t);
      if (c) return c;
    }
    return ['?'];
  }

  /**
   * A task's effective priority (Airflow's priority_weight_total): its own weight, plus every downstream
   * (or upstream) task's for the `downstream` (`upstream`) weight rule.
   */
  priorityOf(taskId: string): number {
    // Worked out for every task once (a DAG does not change once loaded): each walks its relatives.
    if (!this.#priorities) {
      this.#priorities = new Map();
      for (const t of this.#tasks.values()) {
        let w = t.priorityWeight;
        if (t.weightRule !== 'absolute') {
          for (const id of t.weightRule === 'downstream' ? this.downstreamOf(t.taskId) : this.upstreamOf(t.taskId)) w += this.#tasks.get(id)!.priorityWeight;
        }
        this.#priorities.set(t.taskId, w);
      }
    }
    return this.#priorities.get(taskId) ?? 1;
  }

  /** Task ids downstream of `taskId` (transitively when `transitive`). */
  downstreamOf(taskId: string, transitive = true): Set<string> {
    return this.#walk(taskId, (t) => t.downstream, transitive);
  }
  upstreamOf(taskId: string, transitive = true): Set<string> {
    return this.#walk(taskId, (t) => t.upstream, transitive);
  }
  #walk(taskId: string, next: (t: BaseOperator) => Set<BaseOperator>, transitive: boolean): Set<string> {
    const out = new Set<string>();
    const start = this.#tasks.get(taskId);
    if (!start) return out;
    const stack = [...next(start)];
    while (stack.length) {
      const t = stack.pop()!;
      if (out.has(t.taskId)) continue;
      out.add(t.taskId);
      if (transitive) stack.push(...next(t));
    }
    return out;
  }

  get scheduleInput(): ScheduleInput {
    return { schedule: this.schedule, startDate: this.startDate, endDate: this.endDate, catchup: this.catchup };
  }

  /** params with a run's conf merged over them. */
  paramsFor(conf: Json): Record<string, Json> {
    return isJsonObject(conf) ? { ...this.params, ...conf } : { ...this.params };
  }
}

export function isDag(v: unknown): v is DAG {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[DAG_MARK] === true;
}

// any: chain only wires dependencies; the tasks' output types do not matter here.
type Chainable = BaseOperator<any> | TaskGroup | ReadonlyArray<BaseOperator<any> | TaskGroup>;

/**
 * chain(a, [b, c], d): a -> b, a -> c, b -> d, c -> d. Two adjacent lists must have equal length (paired).
 * Task groups chain like tasks. Returns the last item.
 */
export function chain<T extends Chainable>(...items: Chainable[]): T {
  for (let i = 0; i + 1 < items.length; i++) {
    const up = items[i]!;
    const down = items[i + 1]!;
    if (Array.isArray(up) && Array.isArray(down)) {
      if (up.length !== down.length) {
        throw new DagDefinitionError(`chain(): adjacent lists must have the same length (got ${up.length} and ${down.length})`);
      }
      up.forEach((u: BaseOperator | TaskGroup, j: number) => u.then(down[j] as BaseOperator | TaskGroup));
    } else if (Array.isArray(up)) {
      for (const u of up as Array<BaseOperator | TaskGroup>) u.then(down as BaseOperator | TaskGroup);
    } else {
      (up as BaseOperator | TaskGroup).then(down as BaseOperator | TaskGroup | Array<BaseOperator | TaskGroup>);
    }
  }
  return items[items.length - 1] as T;
}
