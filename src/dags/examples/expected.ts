import type { DagRunState, TaskState } from '../../engine/states.js';

/**
 * How an example DAG's manual run ends, written next to the DAG so docs, tests and people agree.
 * test/examples triggers every example through the engine (real worker processes) and compares.
 */
export interface ExpectedOutcome {
  run: DagRunState;
  /** Every task's final state (`null` = none: never scheduled). */
  tasks: Record<string, TaskState | null>;
  /** try_number of tasks that retried (the rest end on try 1, or 0 when never run). */
  tries?: Record<string, number>;
  /** XCom `return_value` of tasks whose result is part of the example. */
  xcom?: Record<string, unknown>;
}
