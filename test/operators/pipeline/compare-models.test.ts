// CompareModelsOperator as the branch of a tiny DAG driven by the engine: the candidate (the shared tiny model, handed
// over as the train task's XCom) and the registry's champion are evaluated by `dagctl evaluate` children on the same
// test split; the gate's decision picks deploy or skip_deploy.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAG, type JsonObject } from '../../../src/engine/index.js';
import { CompareModelsOperator, type CompareResult } from '../../../src/operators/compare-models.js';
import { EmptyOperator } from '../../../src/operators/empty.js';
import { FunctionOperator } from '../../../src/operators/function.js';
import { outputDir, registryRoot } from '../../../src/operators/ml/project.js';
import type { TrainResult } from '../../../src/operators/train-resnet18.js';
import { openRegistry } from '../../../src/registry/index.js';
import { cleanup, runDag, sharedCandidate, silent, tempDir, type Candidate } from '../../fixtures/pipeline/harness.js';

let c: Candidate;
beforeAll(async () => {
  c = await sharedCandidate();
}, 180_000);
afterAll(cleanup);

function pipeline(): DAG {
  const dag = new DAG({ dagId: 'compare_test', schedule: null });
  const train = dag.add(new FunctionOperator<TrainResult>({ taskId: 'train', fn: () => c.trained }));
  const compare = dag.add(new CompareModelsOperator({ taskId: 'compare_models', project: c.project.project, train, deployTaskId: 'deploy', skipTaskId: 'skip_deploy' }));
  const deploy = dag.add(new EmptyOperator({ taskId: 'deploy' }));
  const skip = dag.add(new EmptyOperator({ taskId: 'skip_deploy' }));
  train.then(compare).then([deploy, skip]);
  return dag;
}

async function compare(home: string, conf?: JsonObject) {
  const run = await runDag(pipeline(), { home, ...(conf ? { conf } : {}) });
  return { run, result: run.xcom('compare_models') as CompareResult };
}

describe('compare_models', { timeout: 180_000 }, () => {
  it.concurrent('promotes the first candidate when the floors pass: follows deploy, skips skip_deploy', async () => {
    const { run, result } = await compare(await tempDir());
    expect(run.states, run.log('compare_models')).toEqual({ train: 'success', compare_models: 'success', deploy: 'success', skip_deploy: 'skipped' });
    expect(result).toMatchObject({ promote: true, reason: 'no champion yet and the candidate passes the floors', champion: null, mcnemar: null, next_task: 'deploy' });
    expect(result.checks.map((k) => k.name)).toEqual(['metrics_finite', 'min_auc', 'min_recall', 'min_specificity']);
    expect(result.candidate.metrics.auc).toBe(c.trained.metrics.auc); // the same model on the same split
    expect(result.candidate.test_set_hash).toMatch(/^[0-9a-f]{32}$/);
  });

  it.concurrent('re-evaluates the champion on the same test set and records McNemar on the paired predictions', async () => {
    const home = await tempDir();
    const registry = openRegistry({ root: registryRoot(home), name: 'pneumonia', logger: silent });
    const v1 = await registry.register(c.trained.model_dir, { runId: 'earlier' });
    await registry.promote(v1.version, { by: 'test', reason: 'first model' });
    const { run, result } = await compare(home);
    expect(result.champion).toMatchObject({ version: 1, model_dir: v1.dir });
    expect(result.candidate.test_set_hash).toBe(result.champion!.test_set_hash);
    // The champion is the candidate's twin: identical predictions, so no discordant pairs and no AUC gain.
    expect(result.mcnemar).toMatchObject({ b: 0, c: 0, p_value: 1 });
    expect(result.champion!.metrics.auc).toBe(result.candidate.metrics.auc);
    expect(result.checks.find((k) => k.name === 'same_test_set')!.passed).toBe(true);
    expect(result.checks.find((k) => k.name === 'auc_improvement')!.passed).toBe(false);
    expect(result).toMatchObject({ promote: false, next_task: 'skip_deploy' });
    expect(run.states).toMatchObject({ deploy: 'skipped', skip_deploy: 'success' });
    const out = outputDir(home, 'compare_test', run.runId, 'compare_models');
    for (const f of ['champion-v1-predictions.json', 'champion-v1-metrics.json']) expect(existsSync(path.join(out, f)), f).toBe(true);
  });

  it.concurrent('keeps the champion (skip_deploy) when the candidate is below a floor', async () => {
    const { recall, specificity } = c.trained.metrics as { recall: number; specificity: number };
    expect(Math.min(recall, specificity), 'a tiny model should not be perfect on 8 images').toBeLessThan(1);
    const floor = recall < 1 ? 'gate.min_recall' : 'gate.min_specificity';
    const { run, result } = await compare(await tempDir(), { params: { [floor]: 1 } });
    expect(run.states).toMatchObject({ compare_models: 'success', deploy: 'skipped', skip_deploy: 'success' });
    expect(result.promote).toBe(false);
    expect(result.checks.find((k) => k.name === floor.slice('gate.'.length))!.passed).toBe(false);
    expect(result.reason).toMatch(/^kept the champion: .* is below the floor 1\.0000/);
  });
});
