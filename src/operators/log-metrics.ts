import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BaseOperator, type Json, type Task, type TaskContext, type TaskOptions } from '../engine/index.js';
import type { MetricPoint } from '../tracking/index.js';
import { runParams, type Project } from './ml/project.js';
import { openPipelineTracking, withTrackingHint } from './ml/tracking.js';
import type { TrainResult } from './train-resnet18.js';

export type LogMetricsResult = {
  tracking: 'rest' | 'file';
  tracking_uri: string;
  experiment_id: string;
  /** The candidate's run (a search's best trial). */
  mlflow_run_id: string;
  run_url: string;
  /** A search: the parent run its trials are nested under, and the runs of the trials that produced a model, in map-index order. */
  parent_run_id?: string;
  trial_run_ids?: string[];
};

type Epoch = Record<string, number | null> & { epoch: number };

/** Flattens nested params to MLflow's `section.key` strings. */
function flatten(o: unknown, prefix = ''): Record<string, string> {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return { [prefix]: JSON.stringify(o) ?? 'null' };
  return Object.assign({}, ...Object.entries(o).map(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? flatten(v, `${prefix}${k}.`) : { [`${prefix}${k}`]: typeof v === 'string' ? v : JSON.stringify(v) })));
}

/**
 * Records the candidate in MLflow: params, per-epoch curves, test metrics and confusion matrix, data version, git
 * commit, backend, and the model folder (with its plots) as artifacts. A server when MLFLOW_TRACKING_URI is set,
 * otherwise MLflow's file store in `<home>/mlruns` (`mlflow ui --backend-store-uri runs/mlruns`).
 */
export class LogMetricsOperator extends BaseOperator<LogMetricsResult> {
  readonly #o: { project: Project; train: Task<TrainResult>; trials?: Task<TrainResult[]>; experiment?: string; env: NodeJS.ProcessEnv };

  /**
   * `train`: the candidate. `trials` (a search): every trial is logged as a child run of one parent run (MLflow's
   * `mlflow.parentRunId` nesting) in `experiment`; the candidate is the trial with the same model folder.
   */
  constructor(o: TaskOptions & { project: Project; train: Task<TrainResult>; trials?: Task<TrainResult[]>; experiment?: string; env?: NodeJS.ProcessEnv }) {
    super(o);
    this.#o = { ...o, env: o.env ?? process.env };
  }

  async execute(ctx: TaskContext): Promise<LogMetricsResult> {
    try {
      return await this.#log(ctx);
    } catch (err) {
      throw withTrackingHint(err);
    }
  }

  async #log(ctx: TaskContext): Promise<LogMetricsResult> {
    const trained = ctx.xcomPull(this.#o.train);
    if (!trained) throw new Error(`no candidate: task '${this.#o.train.taskId}' pushed no result`);
    const params = await runParams(this.#o.project, ctx.params);
    const store = await openPipelineTracking({ env: this.#o.env, home: ctx.home, params, logger: ctx.logger });
    const experimentId = await store.getOrCreateExperiment(this.#o.experiment ?? params.pipeline.experiment);
    const name = `${ctx.dagId}__${ctx.runId}`;
    const tags = { 'mlflow.source.name': `dagctl ${ctx.dagId}`, 'mlflow.source.type': 'JOB', 'dagctl.dag_id': ctx.dagId, 'dagctl.run_id': ctx.runId };
    let runId: string;
    let search: Pick<LogMetricsResult, 'parent_run_id' | 'trial_run_ids'> = {};
    if (this.#o.trials) {
      const trials = ctx.xcomPull(this.#o.trials) ?? [];
      const best = trials.find((t) => t.model_dir === trained.model_dir);
      if (!best) throw new Error(`the candidate (${trained.model_dir}) is not one of the ${trials.length} trials of task '${this.#o.trials.taskId}'`);
      const parent = await store.createRun(experimentId, { runName: name, tags });
      try {
        const ids: string[] = [];
        for (const t of trials) {
          ids.push(await logCandidate(store, experimentId, t, ctx, { runName: `${name}__trial_${t.map_index}`, tags: { ...tags, 'mlflow.parentRunId': parent.runId, 'dagctl.map_index': String(t.map_index) } }));
        }
        runId = ids[trials.indexOf(best)]!;
        const aucs = trials.map((t) => t.val_auc).filter((v): v is number => typeof v === 'number');
        // The grid this run searched: the trigger conf's when it gave one, else params.yaml's.
        const grid = isGrid(ctx.params.grid) ? ctx.params.grid : params.search.grid;
        await store.logBatch(parent.runId, {
          params: Object.fromEntries(Object.entries(grid).map(([k, v]) => [`grid.${k}`, JSON.stringify(v)])),
          metrics: [
            { key: 'trials', value: trials.length, timestamp: Date.now(), step: 0 },
            ...(aucs.length ? [{ key: 'best_val_auc', value: Math.max(...aucs), timestamp: Date.now(), step: 0 }] : []),
          ],
          tags: { best_trial: String(best.map_index), best_run_id: runId },
        });
        await store.setTerminated(parent.runId, 'FINISHED');
        search = { parent_run_id: parent.runId, trial_run_ids: ids };
      } catch (err) {
        await store.setTerminated(parent.runId, 'FAILED').catch((e: unknown) => ctx.logger.warn({ err: e }, 'could not mark the MLflow parent run failed'));
        throw err;
      }
    } else {
      runId = await logCandidate(store, experimentId, trained, ctx, { runName: name, tags });
    }
    const runUrl = store.getRunUrl(experimentId, runId);
    ctx.logger.info({ tracking: store.kind, uri: store.uri, runUrl }, `logged MLflow run ${runId}`);
    return { tracking: store.kind, tracking_uri: store.uri, experiment_id: experimentId, mlflow_run_id: runId, run_url: runUrl, ...search };
  }
}

type Tracking = Awaited<ReturnType<typeof openPipelineTracking>>;

function isGrid(v: Json | undefined): v is { [key: string]: Json[] } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(Array.isArray);
}

/** One model as one MLflow run: params, per-epoch curves, test and calibration metrics, tags, the model folder. */
async function logCandidate(store: Tracking, experimentId: string, trained: TrainResult, ctx: TaskContext, o: { runName: string; tags: Record<string, string> }): Promise<string> {
  const read = async (f: string): Promise<unknown> => JSON.parse(await readFile(path.join(trained.model_dir, f), 'utf8'));
  const metadata = (await read('metadata.json')) as Record<string, unknown> & {
    params: unknown;
    git_commit: string | null;
    backend: { name: string; threads: number };
    init?: { mode: string; from: string | null };
    calibration?: { threshold: number; rule: string; ece: number; val_auc: number | null; crossfit: { accuracy: number; sensitivity: number; specificity: number } | null };
  };
  const history = (await read('history.json')) as Epoch[];
  const metrics = (await read('metrics.json')) as Record<string, number>;

  const now = Date.now();
  const { runId } = await store.createRun(experimentId, o);
  try {
    const perEpoch: MetricPoint[] = history.flatMap((e) =>
      Object.entries(e)
        .filter(([k, v]) => k !== 'epoch' && typeof v === 'number' && Number.isFinite(v))
        .map(([key, value]) => ({ key, value: value as number, timestamp: now, step: e.epoch })),
    );
    const finalMetrics: MetricPoint[] = Object.entries(metrics)
      .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
      .map(([key, value]) => ({ key: `test_${key}`, value, timestamp: now, step: 0 }));
    // The threshold and its out-of-sample estimate on the calibration split (val), next to the test metrics.
    const cal = metadata.calibration;
    const calibration = cal
      ? Object.entries({ threshold: cal.threshold, val_ece: cal.ece, val_auc: cal.val_auc, ...(cal.crossfit ? { val_crossfit_accuracy: cal.crossfit.accuracy, val_crossfit_sensitivity: cal.crossfit.sensitivity, val_crossfit_specificity: cal.crossfit.specificity } : {}) })
          .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
          .map(([key, value]) => ({ key, value, timestamp: now, step: 0 }))
      : [];
    await store.logBatch(runId, {
      params: flatten(metadata.params),
      metrics: [...perEpoch, ...finalMetrics, ...calibration],
      tags: {
        data_version: String(trained.data_version),
        git_commit: String(metadata.git_commit),
        backend: metadata.backend.name,
        backend_threads: String(metadata.backend.threads),
        trained_from_scratch: String(trained.trained_from_scratch),
        init: metadata.init ? `${metadata.init.mode}${metadata.init.from ? ` (${metadata.init.from})` : ''}` : 'scratch',
        threshold_rule: cal?.rule ?? 'fixed',
        'mlflow.source.git.commit': String(metadata.git_commit),
      },
    });
    await store.logArtifacts(runId, trained.model_dir, 'model');
    await store.setTerminated(runId, 'FINISHED');
  } catch (err) {
    await store.setTerminated(runId, 'FAILED').catch((e: unknown) => ctx.logger.warn({ err: e }, 'could not mark the MLflow run failed'));
    throw err;
  }
  return runId;
}
