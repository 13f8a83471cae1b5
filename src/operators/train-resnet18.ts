import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BaseOperator, type Json, type JsonObject, type TaskContext, type TaskOptions } from '../engine/index.js';
import { openRegistry } from '../registry/index.js';
import { runDagctl } from './ml/child.js';
import { confOverrides, outputDir, registryRoot, runParams, type Project } from './ml/project.js';

export type TrainResult = {
  model_dir: string;
  /** Where the weights started: the champion version it continued, a pretrained folder, or scratch. */
  init: { mode: string; champion_version: number | null; from: string | null };
  /** The decision threshold, and how it was set ('fixed' in params, or the rule that chose it on val). */
  threshold: number;
  threshold_rule: string;
  data_version: string | null;
  backend: string;
  threads: number;
  trained_from_scratch: boolean;
  /** Which instance of a mapped train task (a search's trial number); -1 otherwise. */
  map_index: number;
  /** params.yaml overrides this model was trained with (a search trial's combination), by dotted key. */
  overrides: { [key: string]: Json };
  /** AUC on the validation split after training: what a search ranks its trials by. */
  val_auc: number | null;
  training_time_s: number;
  train_images_per_s: number;
  metrics: { [key: string]: Json };
};

/**
 * Trains ResNet18 in a child process (`dagctl train`, the same entry point people and `dvc repro` use), so the
 * heavy work never blocks a worker's bookkeeping and killing the task kills the training. A retry (try 2+)
 * passes `--resume`, so the epochs the failed try finished are not trained again.
 */
export class TrainResNet18Operator extends BaseOperator<TrainResult> {
  readonly #project: Project;
  readonly #overrides: JsonObject;

  /** `overrides`: params.yaml keys to set for this training (`{"train.learning_rate": 0.001}`), over the run's conf. */
  constructor(o: TaskOptions & { project: Project; overrides?: JsonObject }) {
    super(o);
    this.#project = o.project;
    this.#overrides = o.overrides ?? {};
  }

  async execute(ctx: TaskContext): Promise<TrainResult> {
    // One folder for every try: a retry resumes from the checkpoint the failed try left after its last epoch.
    const out = path.join(outputDir(ctx.home, ctx.dagId, ctx.runId, ctx.taskId, ctx.mapIndex), 'model');
    const resume = ctx.tryNumber > 1 ? ['--resume'] : [];
    // Validate params.yaml and the conf overrides here first: a bad key fails in milliseconds with a typed error
    // naming it, instead of after a child process has started (the child validates them again, by the same loader).
    confOverrides(ctx.params); // a conf "params" that is not an object fails here, naming it
    const overrides = { params: { ...asObject(ctx.params.params), ...this.#overrides } };
    const params = await runParams(this.#project, overrides);
    const sets = confOverrides(overrides).flatMap((s) => ['--set', s]);
    // Warm start: continue from the champion that is deployed now (read here, so the child trains on exactly it).
    const champion = params.model.init === 'champion' ? await openRegistry({ root: registryRoot(ctx.home), name: params.pipeline.model_name, logger: ctx.logger }).champion() : null;
    const init = champion ? ['--init-from', champion.dir] : [];
    ctx.logger.info({ init: params.model.init, champion: champion?.version ?? null }, champion ? `continuing from champion v${champion.version}` : `starting from ${params.model.init === 'champion' ? 'scratch (no champion yet)' : params.model.init}`);
    await runDagctl(['train', '--params', this.#project.paramsFile, '--out', out, ...init, ...resume, ...sets], {
      cwd: this.#project.root,
      logger: ctx.logger,
      signal: ctx.signal,
      env: process.env,
    });
    const meta = JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8')) as {
      data_version: string | null;
      backend: { name: string; threads: number };
      trained_from_scratch: boolean;
      threshold: number;
      calibration: { rule: string; val_auc: number | null };
      init: { mode: string; from: string | null };
      training_time_s: number;
      train_images_per_s: number;
      metrics: { [key: string]: Json } | null;
    };
    const { roc: _roc, ...metrics } = meta.metrics ?? {};
    ctx.logger.info({ out, metrics, backend: meta.backend.name }, `trained a candidate on ${meta.backend.name}`);
    return {
      model_dir: out,
      init: {
        mode: meta.init.mode,
        champion_version: meta.init.mode === 'champion' ? (champion?.version ?? null) : null,
        from: meta.init.from ? path.relative(this.#project.root, meta.init.from) || '.' : null,
      },
      threshold: meta.threshold,
      threshold_rule: meta.calibration.rule,
      data_version: meta.data_version,
      backend: meta.backend.name,
      threads: meta.backend.threads,
      trained_from_scratch: meta.trained_from_scratch,
      map_index: ctx.mapIndex,
      overrides: this.#overrides,
      val_auc: meta.calibration.val_auc ?? null,
      training_time_s: meta.training_time_s,
      train_images_per_s: meta.train_images_per_s,
      metrics,
    };
  }
}

function asObject(v: Json | undefined): JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
}
