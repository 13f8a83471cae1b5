/** The engine's "no such DAG / run / task / map index" errors, which the UI answers with 404 rather than 500. */
import { EngineError } from '../../engine/errors.js';

const NOT_FOUND = new Set(['dag_not_found', 'dag_run_not_found', 'task_not_found', 'task_instance_not_found']);

export function isNotFound(err: unknown): err is EngineError {
  return err instanceof EngineError && NOT_FOUND.has(err.code);
}

/** Airflow's problem JSON for a 404 (what the REST API answers too). */
export const notFoundProblem = (detail: string) => ({ type: 'about:blank', title: 'Not Found', status: 404, detail });
