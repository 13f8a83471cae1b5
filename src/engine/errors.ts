/**
 * The engine's typed errors. Each has a stable `code`, an optional `hint` (what to do next) and an
 * optional `exitCode`; the CLI prints `error: <message>` and `hint: <hint>` from these fields.
 */
export interface EngineErrorOptions {
  hint?: string;
  exitCode?: number;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(code: string, message: string, opts: EngineErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

function known(ids: readonly string[]): string {
  if (ids.length === 0) return 'none are loaded';
  const shown = ids.slice(0, 20).join(', ');
  return ids.length > 20 ? `${shown}, … (${ids.length} in all)` : shown;
}

export class DagNotFoundError extends EngineError {
  constructor(readonly dagId: string, knownIds: readonly string[] = []) {
    super('dag_not_found', `DAG '${dagId}' not found`, {
      hint: `known DAG ids: ${known(knownIds)}; see \`dagctl dags list\` and \`dagctl dags list-import-errors\``,
    });
  }
}

export class DagRunNotFoundError extends EngineError {
  constructor(readonly dagId: string, readonly runId: string) {
    super('dag_run_not_found', `DAG run '${runId}' of DAG '${dagId}' not found`, {
      hint: `list the runs with \`dagctl runs list -d ${dagId}\``,
    });
  }
}

export class TaskNotFoundError extends EngineError {
  constructor(readonly dagId: string, readonly taskId: string, knownIds: readonly string[] = []) {
    super('task_not_found', `task '${taskId}' not found in DAG '${dagId}'`, {
      hint: `tasks of ${dagId}: ${known(knownIds)}`,
    });
  }
}

export class DagRunAlreadyExistsError extends EngineError {
  constructor(readonly dagId: string, what: string) {
    super('dag_run_exists', `a DAG run of '${dagId}' with ${what} already exists`, {
      hint: 'pass another --run-id or --exec-date (logical date)',
    });
  }
}

/** A run id that is not Airflow's `run_id_pattern`: it names folders (logs, outputs), so it must stay one path segment. */
export class InvalidRunIdError extends EngineError {
  constructor(readonly runId: string) {
    super('invalid_run_id', `run id ${JSON.stringify(runId)} is invalid: use letters, digits and _ . ~ : + - (Airflow's run_id_pattern)`, {
      hint: 'e.g. manual__2026-01-01 or retrain_after_fix_1',
      exitCode: 2,
    });
  }
}

export class InvalidConfError extends EngineError {
  constructor(message: string, opts: EngineErrorOptions = {}) {
    super('invalid_conf', message, { hint: 'conf must be a JSON object, e.g. -c \'{"key": "value"}\'', exitCode: 2, ...opts });
  }
}

export class IllegalTransitionError extends EngineError {
  constructor(readonly what: string, readonly from: string, readonly to: string) {
    super('illegal_transition', `${what}: illegal transition from '${from}' to '${to}'`, {
      hint: 'the state changed underneath this operation (another process?); re-read it and retry',
    });
  }
}

export class SchedulerBusyError extends EngineError {
  constructor(readonly holder: { pid: number; hostname: string; kind: string; heartbeat: string }) {
    super(
      'scheduler_busy',
      `another ${holder.kind} (pid ${holder.pid} on ${holder.hostname}, last heartbeat ${holder.heartbeat}) owns this database`,
      { hint: 'only one scheduler may own a SQLite database; stop the other one or use another DAGCTL_HOME' },
    );
  }
}

/** A task instance asked for by a map index it does not have (or a mapped task asked for without one). */
export class MapIndexNotFoundError extends EngineError {
  /** `indexes`: the task's map indexes in the run; `isMapped` when there is no run to read them from (tasks test). */
  constructor(readonly dagId: string, readonly runId: string, readonly taskId: string, readonly mapIndex: number, indexes: readonly number[], isMapped = indexes.some((i) => i >= 0)) {
    const mapped = indexes.filter((i) => i >= 0);
    const range = mapped.length > 0 ? ` from 0 to ${Math.max(...mapped)}` : '';
    super('task_instance_not_found', `task '${taskId}' of ${dagId}/${runId} has no task instance with map index ${mapIndex}`, {
      hint: isMapped ? `it is mapped: give a map index${range} (--map-index N)` : indexes.length > 0 ? 'it is not mapped: leave out the map index' : 'the run has no instance of it',
    });
  }
}

/** A task whose return value a mapped task expands over returned something that is not a list. */
export class UnmappableXComError extends EngineError {
  constructor(readonly upstreamTaskId: string, readonly mappedTaskId: string, got: string) {
    super('unmappable_xcom', `task '${mappedTaskId}' maps over the return value of task '${upstreamTaskId}', which must be a list; got ${got}`, {
      hint: `make '${upstreamTaskId}' return an array (one element per instance of '${mappedTaskId}')`,
    });
  }
}

export class DagDefinitionError extends EngineError {
  constructor(message: string, opts: EngineErrorOptions = {}) {
    super('dag_definition', message, opts);
  }
}

export class DagPausedError extends EngineError {
  constructor(readonly dagId: string) {
    super('dag_paused', `DAG '${dagId}' is paused, so its queued run will not start`, {
      hint: `unpause it with \`dagctl dags unpause ${dagId}\` (or set isPausedUponCreation: false in the DAG)`,
    });
  }
}

/** Thrown by an operator to fail without retrying (Airflow's AirflowFailException). */
export class NonRetryableError extends EngineError {
  constructor(message: string, opts: EngineErrorOptions = {}) {
    super('non_retryable', message, opts);
  }
}

/** Thrown by an operator to end its task instance as `skipped` (Airflow's AirflowSkipException). */
export class SkipTaskError extends EngineError {
  constructor(message = 'task skipped') {
    super('task_skipped', message);
  }
}

/** The attempt ran longer than its executionTimeout (Airflow's AirflowTaskTimeout). */
export class TaskTimeoutError extends EngineError {
  constructor(seconds: number) {
    super('task_timeout', `task timed out after ${seconds} s (executionTimeout)`);
  }
}

/** The attempt's task instance was changed from outside while it ran (cleared, marked, its run timed out). */
export class AttemptTerminatedError extends EngineError {
  constructor(state: string) {
    super('externally_set', `State of this instance has been externally set to ${state}. Terminating instance.`);
  }
}

/** The worker running the attempt was asked to stop (the scheduler is shutting down). */
export class WorkerStoppingError extends EngineError {
  constructor(signal: string) {
    super('worker_stopping', `the worker running this attempt received ${signal} (the scheduler is stopping)`, {
      hint: 'the attempt is retried if it has retries left; otherwise clear it once a scheduler runs again',
    });
  }
}

/** A pool that does not exist, or a pool change that cannot be made. */
export class PoolError extends EngineError {
  static notFound(name: string, known: readonly string[]): PoolError {
    return new PoolError('pool_not_found', `pool '${name}' does not exist`, `pools: ${known.join(', ')}; create one with \`dagctl pools set ${name} N\``);
  }
  constructor(code: string, message: string, hint: string) {
    super(code, message, { hint, exitCode: code === 'pool_not_found' ? 1 : 2 });
  }
}

export class XComSerializationError extends EngineError {
  constructor(what: string, cause?: unknown) {
    super('xcom_not_json', `${what} is not JSON-serialisable`, {
      hint: 'XCom values (including return values) must be plain JSON: objects, arrays, strings, finite numbers, booleans, null',
      cause,
    });
  }
}

export class DatabaseTooNewError extends EngineError {
  constructor(dbVersion: number, codeVersion: number, file: string) {
    super('database_too_new', `database ${file} is at schema version ${dbVersion}, newer than this dagctl (${codeVersion})`, {
      hint: 'upgrade dagctl, or point DAGCTL_HOME at another folder',
    });
  }
}

/** The metadata database cannot be reached or opened (PostgreSQL down, driver missing, bad URL). */
export class StoreUnavailableError extends EngineError {
  constructor(where: string, why: string, hint: string) {
    super('store_unavailable', `cannot open the metadata database ${redactUrl(where)}: ${why}`, { hint });
  }
}

/** A database URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** Normalises anything thrown into an Error (thrown strings, objects) without losing it. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'string') return new Error(e);
  try {
    return new Error(`non-error thrown: ${JSON.stringify(e)}`, { cause: e });
  } catch {
    return new Error(`non-error thrown: ${String(e)}`, { cause: e });
  }
}
