/**
 * The authoring API: what a DAG file imports.
 *
 * Terminology (Airflow 2's):
 * - DAG: tasks and their dependencies, plus a schedule. A DAG run is one execution of it for a
 *   logical date, covering the data interval [data_interval_start, data_interval_end).
 * - Task: an operator instance added to a DAG. A task instance (TI) is a task within one DAG run;
 *   each try of it is an attempt (try_number 1, 2, …), with its own log file.
 * - XCom: small JSON values tasks pass on; a task's return value is its XCom `return_value`.
 * - Trigger rule: when a task may run given its upstream tasks' states (default all_success).
 */
export { DAG, chain, isDag, type DagOptions } from './dag.js';
export { TaskGroup } from './task-group.js';
export {
  BaseOperator,
  MappedOperator,
  type ExpandArgs,
  type PartialOptions,
  type Task,
  type TaskRef,
  type TaskContext,
  type TaskOptions,
  type DefaultArgs,
  type Callback,
  type CallbackContext,
  type RunType,
} from './operator.js';
export type { Json, JsonObject } from './json.js';
export { TRIGGER_RULES, type TriggerRule } from './trigger-rules.js';
export { TASK_STATES, DAG_RUN_STATES, type TaskState, type DagRunState } from './states.js';
export { NonRetryableError, SkipTaskError, DagDefinitionError } from './errors.js';
