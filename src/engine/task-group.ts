/**
 * Airflow's TaskGroup: tasks added through a group get its id as a prefix (`extract.load`; nested groups
 * `outer.inner.load`), and a group is wired like a task. `group.then(x)` runs x after the group's last tasks
 * (those with no downstream inside it), `x.then(group)` runs the group's first tasks after x. Wiring reads
 * the group as it is then: fill a group before wiring it.
 */
import { DagDefinitionError } from './errors.js';
import { GROUP_MARK, type BaseOperator, type Downstream, type GroupTarget } from './operator.js';

/** What a group needs of its DAG. */
export interface GroupHost {
  readonly dagId: string;
  // any: a DAG holds tasks of every output type.
  add<T extends BaseOperator<any>>(task: T): T;
  registerGroup(g: TaskGroup): TaskGroup;
}

/** Group ids: letters, digits, '_' and '-' (no '.': it separates a group from what is inside it). */
const GROUP_ID_RE = /^[A-Za-z0-9_-]+$/;

export class TaskGroup implements GroupTarget {
  readonly [GROUP_MARK] = true;
  /** Its full id, with its parents' (`outer.inner`). */
  readonly groupId: string;
  readonly #tasks: BaseOperator[] = [];
  readonly #children: TaskGroup[] = [];

  constructor(
    readonly dag: GroupHost,
    id: string,
    readonly parent?: TaskGroup,
    readonly tooltip?: string,
  ) {
    if (!GROUP_ID_RE.test(id)) {
      throw new DagDefinitionError(`DAG '${dag.dagId}': task group id ${JSON.stringify(id)} is invalid: use letters, digits, '_' and '-'`);
    }
    this.groupId = parent ? `${parent.groupId}.${id}` : id;
  }

  // any: a group holds tasks of every output type.
  /** Adds a task to the group and its DAG, its id prefixed with the group's; returns it. */
  add<T extends BaseOperator<any>>(task: T): T {
    task.joinGroup(this.groupId);
    this.dag.add(task);
    this.#tasks.push(task);
    return task;
  }

  /** A group inside this one. */
  group(id: string, o: { tooltip?: string } = {}): TaskGroup {
    const g = this.dag.registerGroup(new TaskGroup(this.dag, id, this, o.tooltip));
    this.#children.push(g);
    return g;
  }

  /** Every task in it, nested groups' included. */
  get tasks(): BaseOperator[] {
    return [...this.#tasks, ...this.#children.flatMap((c) => c.tasks)];
  }
  get roots(): BaseOperator[] {
    const inside = new Set(this.tasks);
    return [...inside].filter((t) => ![...t.upstream].some((u) => inside.has(u)));
  }
  /** Its tasks with no downstream inside the group: `group.then(x)` runs x after them. */
  get leaves(): BaseOperator[] {
    const inside = new Set(this.tasks);
    return [...inside].filter((t) => ![...t.downstream].some((d) => inside.has(d)));
  }

  /** `group.then(x)`: x runs after the group's last tasks. Returns x, for chaining. */
  then<T extends Downstream>(next: T): T {
    if (typeof next === 'function') {
      // The Promise machinery (a group returned from an async branch callable): resolve to its id, which a
      // branch follows to the group's first tasks, as Airflow's branching to a task group does.
      (next as unknown as (v: string) => void)(this.groupId);
      return undefined as unknown as T;
    }
    const leaves = this.leaves;
    if (leaves.length === 0) throw new DagDefinitionError(`task group '${this.groupId}' is empty: add its tasks before wiring it`);
    for (const l of leaves) l.then(next);
    return next;
  }
}
