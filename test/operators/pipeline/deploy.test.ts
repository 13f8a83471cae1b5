// DeployOperator with the shared tiny candidate: registers and promotes it in a real registry, reuses what an earlier
// attempt of the same run registered, and mirrors the registry to a (fake) MLflow server.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAG, type Json } from '../../../src/engine/index.js';
import { CompareModelsOperator, type CompareResult } from '../../../src/operators/compare-models.js';
import { DeployOperator, type DeployResult } from '../../../src/operators/deploy.js';
import { LogMetricsOperator, type LogMetricsResult } from '../../../src/operators/log-metrics.js';
import { registryRoot } from '../../../src/operators/ml/project.js';
import { TrainResNet18Operator } from '../../../src/operators/train-resnet18.js';
import { openRegistry } from '../../../src/registry/index.js';
import { cleanup, RUN_ID, runTask, sharedCandidate, silent, tempDir, type Candidate } from '../../fixtures/pipeline/harness.js';
import { startFakeMlflow, type FakeMlflow } from '../../tracking/fake-mlflow.js';

let c: Candidate;
let mlflow: FakeMlflow;
beforeAll(async () => {
  [c, mlflow] = await Promise.all([sharedCandidate(), startFakeMlflow()]);
}, 180_000);
afterAll(async () => {
  await mlflow?.close();
  await cleanup();
});

const REASON = 'no champion yet and the candidate passes the floors';

function tasks(env: NodeJS.ProcessEnv) {
  const dag = new DAG({ dagId: 'deploy_test', schedule: null });
  const project = c.project.project;
  const train = dag.add(new TrainResNet18Operator({ taskId: 'train', project }));
  const logMetrics = dag.add(new LogMetricsOperator({ taskId: 'log_metrics', project, train, env }));
  const compare = dag.add(new CompareModelsOperator({ taskId: 'compare_models', project, train, deployTaskId: 'deploy', skipTaskId: 'skip_deploy' }));
  const deploy = dag.add(new DeployOperator({ taskId: 'deploy', project, train, compare, logMetrics, env }));
  train.then(logMetrics).then(compare).then(deploy);
  return { logMetrics, deploy };
}

/** The compare_models XCom deploy reads (its reason becomes the promotion's). */
function compared(): CompareResult {
  const side = { version: null, model_dir: c.trained.model_dir, metrics: c.trained.metrics, test_set_hash: 'f'.repeat(32) };
  return { promote: true, reason: REASON, checks: [], candidate: side, champion: null, mcnemar: null, next_task: 'deploy' };
}

async function deploy(home: string, o: { env?: NodeJS.ProcessEnv; logged?: LogMetricsResult; tryNumber?: number; runId?: string } = {}) {
  const xcom: Record<string, Json> = { train: c.trained, compare_models: compared(), ...(o.logged ? { log_metrics: o.logged } : {}) };
  const r = await runTask(tasks(o.env ?? {}).deploy, { home, xcom, tryNumber: o.tryNumber ?? 1, ...(o.runId ? { runId: o.runId } : {}) });
  return { ...r, value: r.value as DeployResult | undefined };
}

const registryOf = (home: string) => openRegistry({ root: registryRoot(home), name: 'pneumonia', logger: silent });

describe('deploy', { timeout: 180_000 }, () => {
  it('registers the candidate and promotes it, recording who, when and why', async () => {
    const home = await tempDir();
    const r = await deploy(home);
    expect(r.result.outcome, r.log).toBe('success');
    expect(r.value).toMatchObject({ version: 1, previous_version: null, mlflow_model_version: null });
    const registry = registryOf(home);
    const champion = (await registry.champion())!;
    expect(champion).toMatchObject({ version: 1, run_id: RUN_ID, source: c.trained.model_dir, data_version: c.project.version, is_champion: true });
    expect(champion.tags).toMatchObject({ dag_id: 'deploy_test', backend: c.trained.backend });
    expect(champion.metrics.auc).toBe(c.trained.metrics.auc);
    expect(await registry.history()).toEqual([
      { version: 1, previous_version: null, promoted_at: r.value!.promoted_at, promoted_by: `dagctl deploy_test ${RUN_ID}`, reason: REASON, action: 'promote' },
    ]);

    // The next run's candidate replaces it; the old version stays registered for rollback.
    const next = await deploy(home, { runId: 'manual__2026-01-02T00:00:00+00:00' });
    expect(next.value).toMatchObject({ version: 2, previous_version: 1 });
    expect((await registry.list()).map((v) => [v.version, v.is_champion])).toEqual([[1, false], [2, true]]);
  });

  it('reuses the version an earlier attempt of the same run registered (no duplicate) and still promotes it', async () => {
    const home = await tempDir();
    const registry = registryOf(home);
    const v1 = await registry.register(c.trained.model_dir, { runId: 'an_earlier_run' });
    await registry.promote(v1.version, { by: 'test', reason: 'first model' });
    // Attempt 1 of this run registered the candidate as v2, then died before promoting it.
    const registered = await registry.register(c.trained.model_dir, { runId: RUN_ID });
    expect((await registry.champion())!.version).toBe(1);
    const r = await deploy(home, { tryNumber: 2 });
    expect(r.result.outcome, r.log).toBe('success');
    expect(r.value).toMatchObject({ version: registered.version, previous_version: 1 });
    expect((await registry.list()).map((v) => v.version)).toEqual([1, 2]);
    expect((await registry.champion())!.version).toBe(2);

    // A third attempt after the promotion landed changes nothing and reports that same promotion.
    const again = await deploy(home, { tryNumber: 3 });
    expect(again.value).toEqual(r.value);
    expect((await registry.list()).map((v) => v.version)).toEqual([1, 2]);
    expect((await registry.history()).map((h) => h.version)).toEqual([1, 2]);
  });

  it('mirrors the registry to the MLflow server: registered model, version from the run, alias champion; once per run', async () => {
    const home = await tempDir();
    const env = { MLFLOW_TRACKING_URI: mlflow.url };
    const logged = await runTask(tasks(env).logMetrics, { home, xcom: { train: c.trained } });
    expect(logged.result.outcome, logged.log).toBe('success');
    const run = logged.value as LogMetricsResult;
    const r = await deploy(home, { env, logged: run });
    expect(r.result.outcome, r.log).toBe('success');
    expect(r.value).toMatchObject({ version: 1, mlflow_model_version: '1' });
    const model = mlflow.models.get('pneumonia')!;
    expect(model.versions).toEqual([{ version: '1', source: `runs:/${run.mlflow_run_id}/model`, run_id: run.mlflow_run_id, tags: { dagctl_version: '1' } }]);
    expect(model.aliases.get('champion')).toBe('1');
    expect((await registryOf(home).champion())!.mlflow_run_id).toBe(run.mlflow_run_id);

    // A retry of the same run must not register a second MLflow model version.
    const retry = await deploy(home, { env, logged: run, tryNumber: 2 });
    expect(retry.value).toMatchObject({ version: 1, mlflow_model_version: '1' });
    expect(model.versions).toHaveLength(1);
  });

  it('mirrors into the MLflow file store when no server is configured', async () => {
    const home = await tempDir();
    const logged = await runTask(tasks({}).logMetrics, { home, xcom: { train: c.trained } });
    const r = await deploy(home, { logged: logged.value as LogMetricsResult });
    expect(r.result.outcome, r.log).toBe('success');
    expect(r.value!.mlflow_model_version).toBe('1');
    const models = path.join(home, 'mlruns', 'models', 'pneumonia');
    expect((await readFile(path.join(models, 'aliases', 'champion'), 'utf8')).trim()).toBe('1');
    expect(await readFile(path.join(models, 'version-1', 'meta.yaml'), 'utf8')).toContain(`run_id: ${(logged.value as LogMetricsResult).mlflow_run_id}`);
  });

  it('fails clearly when compare_models or train pushed nothing', async () => {
    const r = await runTask(tasks({}).deploy, { home: await tempDir(), xcom: { train: c.trained } });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toBe('deploy needs the train and compare_models results of this run');
  });
});
