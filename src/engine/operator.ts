/**
 * The operator base class and what an attempt receives. A task is an operator instance added to a DAG;
 * dependencies are set by object (`a.then(b)`), so a typo does not compile and XCom outputs are typed.
 */
import type { Logger } from 'pino';
import type { DAG } from './dag.js';
import { DagDefinitionError } from './errors.js';
import type { Json } from './json.js';
import { asMapList, combination, mapLength } from './mapping.js';
import { validateRetryPolicy, type RetryPolicy } from './retry.js';
import type { TaskState, DagRunState } from './states.js';
import { isTriggerRule, type TriggerRule } from './trigger-rules.js';

export type RunType = 'scheduled' | 'manual' | 'backfill';

/** What a task or DAG callback receives. A callback that throws is logged; it never changes a state. */
export interface CallbackContext {
  dag: DAG;
  dagId: string;
  runId: string;
  logicalDate: Date;
  taskId?: string;
  tryNumber?: number;
  /** Which instance of a mapped task (-1 otherwise), for task callbacks. */
  mapIndex?: number;
  state: TaskState | DagRunState;
  error?: Error;
  /** Why, for DAG run callbacks: 'success', 'task_failure', 'timed_out'. */
  reason?: string;
  logger: Logger;
}
export type Callback = (ctx: CallbackContext) => void | Promise<void>;

/** Options every operator accepts; unset ones come from the DAG's defaultArgs, then Airflow's defaults. */
export interface TaskOptions {
  taskId: string;
  owner?: string;
  retries?: number;
  /** Seconds (default 300). */
  retryDelay?: number;
  retryExponentialBackoff?: boolean;
  /** Seconds. */
  maxRetryDelay?: number;
  /** Seconds; the attempt is aborted, then killed, and fails (retry applies). */
  executionTimeout?: number;
  triggerRule?: TriggerRule;
  /** The pool whose slots it takes while queued or running (default `default_pool`). */
  pool?: string;
  /** Slots of the pool it takes (default 1). */
  poolSlots?: number;
  /** The job queue its attempts go to with the queue executor (default `default`): `dagctl worker --queues` picks. */
  queue?: string;
  /** At most this many of its task instances in flight at once, across the DAG's runs and map indexes (Airflow's max_active_tis_per_dag). */
  maxActiveTisPerDag?: number;
  /** Its own weight in the queue order (default 1); see weightRule. */
  priorityWeight?: number;
  /**
   * How its effective weight is computed (Airflow's weight_rule): `downstream` (default: its weight plus
   * every downstream task's, so work that unblocks more goes first), `upstream`, or `absolute`.
   */
  weightRule?: WeightRule;
  onSuccess?: Callback;
  onFailure?: Callback;
  onRetry?: Callback;
  doc?: string;
}
export type DefaultArgs = Omit<TaskOptions, 'taskId'>;
export const WEIGHT_RULES = ['downstream', 'upstream', 'absolute'] as const;
export type WeightRule = (typeof WEIGHT_RULES)[number];

/** What one attempt of a task receives. */
export interface TaskContext {
  dagId: string;
  taskId: string;
  runId: string;
  logicalDate: Date;
  dataIntervalStart: Date;
  dataIntervalEnd: Date;
  /** The DAG's params with the run's conf merged over them. */
  params: Record<string, Json>;
  conf: Json;
  tryNumber: number;
  maxTries: number;
  /** Which instance of a mapped task this is (0..n-1); -1 for an unmapped task. */
  mapIndex: number;
  runType: RunType;
  /** DAGCTL_HOME. */
  home: string;
  /** Bound to dagId/runId/taskId/tryNumber; writes to this attempt's log file. */
  logger: Logger;
  log: Logger;
  /** Aborted on executionTimeout or cancellation; pass it on (execa's cancelSignal, fetch's signal). */
  signal: AbortSignal;
  dag: DAG;
  task: BaseOperator;
  /** An upstream task's XCom (its return value by default); a mapped task's is the list of its instances', in map-index order. */
  xcomPull<T extends Json>(task: BaseOperator<T>): T | undefined;
  xcomPull(task: BaseOperator | string, key?: string): Json | undefined;
  xcomPush(key: string, value: Json): void;
  /** Sets these tasks of this run to `skipped` when this attempt succeeds (Airflow's SkipMixin). */
  skip(tasks: ReadonlyArray<BaseOperator | string>): void;
}

const ID_RE = /^[A-Za-z0-9_.-]+$/;
export function validateId(kind: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || !ID_RE.test(id) || id.length > 250) {
    throw new DagDefinitionError(`${kind} ${JSON.stringify(id)} is invalid: use letters, digits, '_', '.', '-' (at most 250)`);
  }
}

/** Marks operator instances across module copies (DAG files may resolve their own copy of the engine). */
export const OPERATOR_MARK = Symbol.for('dagctl.operator');
/** Marks task groups the same way (task-group.ts); wiring to a group wires to its first tasks. */
export const GROUP_MARK = Symbol.for('dagctl.task-group');

/** What wiring needs of a task group: the tasks a dependency on it lands on. */
export interface GroupTarget {
  readonly [GROUP_MARK]: true;
  readonly groupId: string;
  /** Its tasks with no upstream inside the group (`x.then(group)` runs them after x). */
  readonly roots: BaseOperator[];
}

export function isGroup(v: unknown): v is GroupTarget {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[GROUP_MARK] === true;
}

export abstract class BaseOperator<TOut extends Json = Json> {
  readonly [OPERATOR_MARK] = true;
  #taskId: string;
  /** The task group it was added through (its id is the task id's prefix), if any. */
  taskGroup: string | undefined;
  /** Set when added to a DAG. */
  dag: DAG | undefined;
  owner = 'airflow';
  retries = 0;
  retryDelay = 300;
  retryExponentialBackoff = false;
  maxRetryDelay: number | undefined;
  executionTimeout: number | undefined;
  triggerRule: TriggerRule = 'all_success';
  pool = 'default_pool';
  poolSlots = 1;
  queue = 'default';
  maxActiveTisPerDag: number | undefined;
  priorityWeight = 1;
  weightRule: WeightRule = 'downstream';
  onSuccess: Callback | undefined;
  onFailure: Callback | undefined;
  onRetry: Callback | undefined;
  doc: string | undefined;
  readonly upstream = new Set<BaseOperator>();
  readonly downstream = new Set<BaseOperator>();
  /** Phantom field carrying the output type for xcomPull; never set. */
  declare readonly __out?: TOut;
  readonly #options: TaskOptions;

  constructor(options: TaskOptions) {
    validateId('taskId', options.taskId);
    this.#taskId = options.taskId;
    this.#options = options;
  }

  /** Its id in the DAG: `group.task` when added through a task group. */
  get taskId(): string {
    return this.#taskId;
  }

  /** Called by a task group before the task joins the DAG: its id gets the group's prefix. */
  joinGroup(groupId: string): void {
    if (this.dag) throw new DagDefinitionError(`task '${this.#taskId}' is already in DAG '${this.dag.dagId}': add it to the group instead of the DAG`);
    if (this.taskGroup !== undefined) throw new DagDefinitionError(`task '${this.#taskId}' is already in task group '${this.taskGroup}'`);
    const id = `${groupId}.${this.#taskId}`;
    validateId('taskId', id); // the full id keeps the limits of one
    this.taskGroup = groupId;
    this.#taskId = id;
  }

  abstract execute(ctx: TaskContext): Promise<TOut> | TOut;

  /**
   * Airflow's `partial()`: `BashOperator.partial({ taskId, ...shared }).expand({ bashCommand: [...] })` adds one
   * task that runs once per value (per combination, with several arguments) — a list known now, or an
   * upstream task whose return value is the list, known when it has run.
   */
  // any: the constructor's options type is inferred from the class it is called on.
  static partial<C extends new (o: any) => BaseOperator<any>>(this: C, options: PartialOptions<OptionsOf<C>>): { expand(args: ExpandArgs<OptionsOf<C>>): MappedOperator<OutputOf<C>> } {
    return { expand: (args) => new MappedOperator<OutputOf<C>>(this, options, args) };
  }

  /** A mapped task runs as several task instances (map indexes 0..n-1). */
  get isMapped(): boolean {
    return false;
  }

  /** The operator's class name, as Airflow's `operator` field shows it. */
  get operatorName(): string {
    return this.constructor.name;
  }

  /** Merges DAG defaultArgs under the task's own options and validates them (called by dag.add). */
  applyDefaults(defaults: DefaultArgs, where: string): void {
    const o = { ...stripUndefined(defaults), ...stripUndefined(this.#options) } as TaskOptions;
    this.owner = o.owner ?? this.owner;
    this.retries = o.retries ?? this.retries;
    this.retryDelay = o.retryDelay ?? this.retryDelay;
    this.retryExponentialBackoff = o.retryExponentialBackoff ?? this.retryExponentialBackoff;
    this.maxRetryDelay = o.maxRetryDelay;
    this.executionTimeout = o.executionTimeout;
    this.pool = o.pool ?? this.pool;
    this.poolSlots = o.poolSlots ?? this.poolSlots;
    this.queue = o.queue ?? this.queue;
    this.maxActiveTisPerDag = o.maxActiveTisPerDag;
    if (this.maxActiveTisPerDag !== undefined && !(Number.isInteger(this.maxActiveTisPerDag) && this.maxActiveTisPerDag >= 1)) {
      throw new DagDefinitionError(`${where}: maxActiveTisPerDag must be a whole number >= 1, got ${this.maxActiveTisPerDag}`);
    }
    this.priorityWeight = o.priorityWeight ?? this.priorityWeight;
    if (o.weightRule !== undefined) {
      if (!(WEIGHT_RULES as readonly string[]).includes(o.weightRule)) {
        throw new DagDefinitionError(`${where}: weightRule '${String(o.weightRule)}' is unknown (${WEIGHT_RULES.join(', ')})`);
      }
      this.weightRule = o.weightRule;
    }
    this.onSuccess = o.onSuccess;
    this.onFailure = o.onFailure;
    this.onRetry = o.onRetry;
    this.doc = o.doc;
    if (o.triggerRule !== undefined) {
      if (!isTriggerRule(o.triggerRule)) throw new DagDefinitionError(`${where}: triggerRule '${String(o.triggerRule)}' is unknown`);
      this.triggerRule = o.triggerRule;
    }
    validateRetryPolicy(this.retryPolicy, where);
    if (this.executionTimeout !== undefined && !(this.executionTimeout > 0)) {
      throw new DagDefinitionError(`${where}: executionTimeout must be seconds > 0, got ${this.executionTimeout}`);
    }
    if (!Number.isFinite(this.priorityWeight)) throw new DagDefinitionError(`${where}: priorityWeight must be a number`);
    if (!Number.isInteger(this.poolSlots) || this.poolSlots < 1) throw new DagDefinitionError(`${where}: poolSlots must be a whole number >= 1, got ${this.poolSlots}`);
    validateId('pool', this.pool);
    validateId('queue', this.queue);
  }

  get retryPolicy(): RetryPolicy {
    return {
      retries: this.retries,
      retryDelay: this.retryDelay,
      retryExponentialBackoff: this.retryExponentialBackoff,
      maxRetryDelay: this.maxRetryDelay,
    };
  }

  // any: the downstream tasks' output types do not matter for wiring.
  /**
   * `a.then(b)` / `a.then([b, c])` / `a.then(group)`: b (and c, or the group's first tasks) run after a.
   * Returns the argument, for chaining.
   */
  then<T extends Downstream>(next: T): T {
    if (typeof next === 'function') {
      // Called by the Promise machinery: a task returned from an async function (e.g. a branch callable)
      // makes the task a "thenable". Resolve it to a plain reference instead of wiring a dependency.
      (next as unknown as (v: TaskRef) => void)({ taskId: this.taskId, task: this });
      return undefined as unknown as T;
    }
    for (const n of (Array.isArray(next) ? next : [next]) as Array<BaseOperator | GroupTarget>) {
      if (isGroup(n) && n.roots.length === 0) throw new DagDefinitionError(`task group '${n.groupId}' is empty: add its tasks before wiring it`);
      for (const t of isGroup(n) ? n.roots : [n]) {
        if (t === this) throw new DagDefinitionError(`task '${this.taskId}' cannot depend on itself`);
        this.downstream.add(t);
        t.upstream.add(this);
      }
    }
    return next;
  }

  get upstreamTaskIds(): string[] {
    return [...this.upstream].map((t) => t.taskId);
  }
  get downstreamTaskIds(): string[] {
    return [...this.downstream].map((t) => t.taskId);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// any: wiring does not depend on the tasks' output types.
/** What a task can be wired to: a task, a task group, or a list of them. */
export type Downstream = BaseOperator<any> | GroupTarget | ReadonlyArray<BaseOperator<any> | GroupTarget>;

/** What `await task` yields (operators have a then() method, so awaiting one resolves to this). */
export interface TaskRef {
  taskId: string;
  task: BaseOperator;
}

/** A task as DAG code sees it: the operator, typed by its output. */
export type Task<TOut extends Json = Json> = BaseOperator<TOut>;

export function isOperator(v: unknown): v is BaseOperator {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[OPERATOR_MARK] === true;
}

// any: options and outputs are read off whatever operator class partial() is called on.
type OptionsOf<C> = C extends new (o: infer O) => any ? O : never;
type OutputOf<C> = C extends new (o: any) => BaseOperator<infer T> ? T : Json;
/** What partial() takes: the shared options, with the task id. */
export type PartialOptions<O> = Partial<O> & { taskId: string };
/** What expand() takes: per option, the list of its values, or an upstream task whose return value is that list. */
export type ExpandArgs<O> = { [K in Exclude<keyof O, 'taskId'>]?: ReadonlyArray<O[K]> | BaseOperator<any> };

/**
 * A mapped task (Airflow's MappedOperator): one task in the DAG, several task instances in a run. Each
 * instance builds the underlying operator from the shared options plus its own combination of values, and
 * runs it. Downstream tasks see its return values as one list, in map-index order.
 */
export class MappedOperator<T extends Json = Json> extends BaseOperator<T[]> {
  // any: the underlying operator's options are checked by its own constructor when an instance runs.
  readonly #cls: new (o: any) => BaseOperator<any>;
  readonly #options: Record<string, unknown>;
  readonly #args: ReadonlyArray<readonly [string, readonly unknown[] | BaseOperator]>;

  constructor(cls: new (o: any) => BaseOperator<any>, options: { taskId: string }, args: object) {
    super(options as TaskOptions);
    this.#cls = cls;
    this.#options = options;
    const entries = Object.entries(args).filter(([, v]) => v !== undefined);
    const where = `task '${options.taskId}'`;
    if (entries.length === 0) throw new DagDefinitionError(`${where}: expand() needs at least one argument to map over`);
    for (const [k, v] of entries) {
      if (k === 'taskId') throw new DagDefinitionError(`${where}: taskId cannot be mapped`);
      if (k in options) throw new DagDefinitionError(`${where}: '${k}' is given to both partial() and expand(); give it to one`);
      if (isOperator(v)) v.then(this); // mapping over an upstream's output depends on it, as an XComArg does in Airflow
      else asMapList(v, { task: options.taskId, arg: k });
    }
    this.#args = entries as Array<[string, readonly unknown[] | BaseOperator]>;
  }

  override get isMapped(): boolean {
    return true;
  }
  /** The class it maps, as Airflow's `operator` field shows a mapped task. */
  override get operatorName(): string {
    return this.#cls.name;
  }
  /** The arguments it maps over, by name: a list, or the upstream task whose return value is the list. */
  get expandArgs(): ReadonlyArray<readonly [string, readonly unknown[] | BaseOperator]> {
    return this.#args;
  }

  /** Its lists for one run; `pull` reads an upstream's return value. Throws UnmappableXComError for a value that is no list. */
  lists(pull: (task: BaseOperator) => Json | undefined): Array<readonly unknown[]> {
    return this.#args.map(([arg, v]) => (isOperator(v) ? asMapList(pull(v), { task: this.taskId, arg, from: v.taskId }) : v));
  }
  /** How many instances it has in a run. */
  mapCount(pull: (task: BaseOperator) => Json | undefined): number {
    return mapLength(this.lists(pull));
  }

  async execute(ctx: TaskContext): Promise<T[]> {
    const values = combination(this.lists((t) => ctx.xcomPull(t)), ctx.mapIndex);
    const op = new this.#cls({ ...this.#options, ...Object.fromEntries(this.#args.map(([k], i) => [k, values[i]])) });
    // The instance stands where the mapped task stands (same id, same neighbours): a branch or short-circuit
    // instance skips the mapped task's downstream tasks.
    if (this.taskGroup !== undefined) op.joinGroup(this.taskGroup);
    for (const u of this.upstream) op.upstream.add(u);
    for (const d of this.downstream) op.downstream.add(d);
    op.dag = this.dag;
    // One instance's return value; the list of them is what downstream tasks pull.
    return (await op.execute(ctx)) as T[];
  }
}
