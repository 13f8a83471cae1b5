import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Json } from '../../engine/index.js';
import { loadParams, type Params } from '../../params/index.js';

/** Where the pipeline's files are: the repository (params.yaml, DVC files, data) and DAGCTL_HOME (outputs, registry). */
export interface Project {
  /** Repository root: params.yaml, dvc.yaml, .dvc/, data/. */
  root: string;
  paramsFile: string;
  /** The DVC pointer of the training data, e.g. data/chest_xray.dvc. */
  dvcFile: string;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function defaultProject(root = REPO_ROOT): Project {
  return { root, paramsFile: path.join(root, 'params.yaml'), dvcFile: path.join(root, 'data', 'chest_xray.dvc') };
}

/** `bin/dagctl.js`, which training and evaluation children run (`dagctl train`, `dagctl evaluate`). */
export const DAGCTL_BIN = path.join(REPO_ROOT, 'bin', 'dagctl.js');

export function registryRoot(home: string): string {
  return path.join(home, 'registry');
}

/** `<home>/outputs/<dag_id>/<run_id>/<task_id>[/map_index=N]`: a task instance's files for one run. */
export function outputDir(home: string, dagId: string, runId: string, taskId: string, mapIndex = -1): string {
  return path.join(home, 'outputs', `dag_id=${dagId}`, `run_id=${runId}`, taskId, ...(mapIndex >= 0 ? [`map_index=${mapIndex}`] : []));
}

/**
 * Param overrides from the trigger conf: `{"params": {"train.epochs": 2}}` becomes `--set train.epochs=2`,
 * validated by the one params loader (errors name the key).
 */
export function confOverrides(params: Record<string, Json>): string[] {
  const o = params.params;
  if (o === undefined || o === null) return [];
  if (typeof o !== 'object' || Array.isArray(o)) throw new TypeError('conf "params" must be an object of dotted keys, e.g. {"train.epochs": 2}');
  return Object.entries(o).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

export async function runParams(project: Project, params: Record<string, Json>): Promise<Params> {
  return loadParams(project.paramsFile, confOverrides(params));
}
