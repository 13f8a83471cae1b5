import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BaseOperator, type Task, type TaskContext, type TaskOptions } from '../engine/index.js';
import { openRegistry } from '../registry/index.js';
import type { CompareResult } from './compare-models.js';
import type { LogMetricsResult } from './log-metrics.js';
import { outputDir, registryRoot, runParams, type Project } from './ml/project.js';
import { openPipelineTracking, withTrackingHint } from './ml/tracking.js';
import type { TrainResult } from './train-resnet18.js';

export type DeployResult = {
  version: number;
  previous_version: number | null;
  promoted_at: string;
  mlflow_model_version: string | null;
};

/**
 * Registers the candidate and makes it the champion. The switch is one atomic rename in the registry, so a crash
 * at any point leaves the old champion serving; a retry reuses the version this run already registered.
 * When tracking is available the registry is mirrored there too (registered model, version, alias `champion`).
 */
export class DeployOperator extends BaseOperator<DeployResult> {
  readonly #o: { project: Project; train: Task<TrainResult>; compare: Task<CompareResult>; logMetrics: Task<LogMetricsResult>; env: NodeJS.ProcessEnv };

  constructor(o: TaskOptions & { project: Project; train: Task<TrainResult>; compare: Task<CompareResult>; logMetrics: Task<LogMetricsResult>; env?: NodeJS.ProcessEnv }) {
    super(o);
    this.#o = { ...o, env: o.env ?? process.env };
  }

  async execute(ctx: TaskContext): Promise<DeployResult> {
    try {
      return await this.#deploy(ctx);
    } catch (err) {
      throw withTrackingHint(err);
    }
  }

  async #deploy(ctx: TaskContext): Promise<DeployResult> {
    const trained = ctx.xcomPull(this.#o.train);
    const compared = ctx.xcomPull(this.#o.compare);
    const logged = ctx.xcomPull(this.#o.logMetrics);
    if (!trained || !compared) throw new Error('deploy needs the train and compare_models results of this run');
    const params = await runParams(this.#o.project, ctx.params);
    const registry = openRegistry({ root: registryRoot(ctx.home), name: params.pipeline.model_name, logger: ctx.logger });

    const mine = (await registry.list()).find((v) => v.run_id === ctx.runId && v.source === path.resolve(trained.model_dir));
    const version =
      mine ??
      (await registry.register(trained.model_dir, {
        runId: ctx.runId,
        dataVersion: trained.data_version,
        ...(logged ? { mlflowRunId: logged.mlflow_run_id } : {}),
        tags: { dag_id: ctx.dagId, backend: trained.backend },
      }));

    let mlflowVersion: string | null = null;
    if (logged) {
      const store = await openPipelineTracking({ env: this.#o.env, home: ctx.home, params, logger: ctx.logger });
      const name = params.pipeline.model_name;
      // MLflow has no "create if absent" for model versions: remember the one this run created (in the task's
      // output folder, which survives retries) so a retry re-tags it instead of registering a duplicate.
      const marker = path.join(outputDir(ctx.home, ctx.dagId, ctx.runId, ctx.taskId), 'mlflow-model-version.json');
      const key = { uri: store.uri, name, mlflow_run_id: logged.mlflow_run_id };
      const earlier = await readFile(marker, 'utf8').then((t) => JSON.parse(t) as typeof key & { version: string }, () => null);
      await store.createRegisteredModel(name);
      if (earlier && earlier.uri === key.uri && earlier.name === name && earlier.mlflow_run_id === key.mlflow_run_id) mlflowVersion = earlier.version;
      else {
        mlflowVersion = await store.createModelVersion(name, `runs:/${logged.mlflow_run_id}/model`, logged.mlflow_run_id);
        await mkdir(path.dirname(marker), { recursive: true });
        await writeFile(marker, JSON.stringify({ ...key, version: mlflowVersion }));
      }
      await store.setModelVersionTag(name, mlflowVersion, 'dagctl_version', String(version.version));
      await store.setAlias(name, 'champion', mlflowVersion);
    }

    // A retry after the promotion landed reports that promotion (from the history) instead of promoting again.
    const done = version.is_champion ? (await registry.history()).findLast((h) => h.version === version.version) : undefined;
    const promotion = done ?? (await registry.promote(version.version, { by: `dagctl ${ctx.dagId} ${ctx.runId}`, reason: compared.reason }));
    ctx.logger.info({ version: promotion.version, previous: promotion.previous_version }, `model v${promotion.version} is the champion`);
    return { version: promotion.version, previous_version: promotion.previous_version, promoted_at: promotion.promoted_at, mlflow_model_version: mlflowVersion };
  }
}
