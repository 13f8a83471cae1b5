// TrainResNet18Operator: `dagctl train` in a child process on real X-rays (a tiny 32x32, width-8 model), its output
// relayed into the task log; params errors (file or trigger conf) fail the attempt naming the key.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DAG } from '../../../src/engine/index.js';
import { taskLogPath } from '../../../src/engine/executor/task-log.js';
import { TrainResNet18Operator } from '../../../src/operators/train-resnet18.js';
import { cleanup, makeProject, RUN_ID, runTask, sharedCandidate, TINY_PARAMS, type TestProject } from '../../fixtures/pipeline/harness.js';

afterAll(cleanup);

function trainTask(p: TestProject) {
  const dag = new DAG({ dagId: 'train_test', schedule: null });
  return dag.add(new TrainResNet18Operator({ taskId: 'train', project: p.project }));
}

describe('train', { timeout: 180_000 }, () => {
  it('trains in a child process and returns the model folder, its metrics and the data version', async () => {
    const { project, trained } = await sharedCandidate();
    expect(trained.model_dir).toBe(path.join(project.home, 'outputs', 'dag_id=shared_candidate', `run_id=${RUN_ID}`, 'train', 'model'));
    for (const f of ['model.json', 'weights.bin', 'metadata.json', 'metrics.json', 'history.json']) expect(existsSync(path.join(trained.model_dir, f)), f).toBe(true);
    expect(trained.data_version).toBe(project.version);
    expect(trained.metrics.n).toBe(8); // the fixture's test split: 4 NORMAL + 4 PNEUMONIA
    for (const k of ['auc', 'accuracy', 'recall', 'specificity']) {
      expect(trained.metrics[k], k).toBeGreaterThanOrEqual(0);
      expect(trained.metrics[k], k).toBeLessThanOrEqual(1);
    }
    expect(trained.metrics).not.toHaveProperty('roc'); // curves stay in the folder, not in XCom
    expect(trained.backend).not.toBe('');
    expect(trained.trained_from_scratch).toBe(true);
    const log = readFileSync(taskLogPath(project.home, { dagId: 'shared_candidate', runId: RUN_ID, taskId: 'train', tryNumber: 1 }), 'utf8');
    expect(log).toContain('starting child process');
    expect(log).toMatch(/INFO - train\.step .*"child":true/); // progress streamed from the child into the task log
  });

  it.concurrent('fails naming the key when params.yaml has an unknown key', async () => {
    const p = await makeProject({ dvc: false, params: TINY_PARAMS.replace('epochs: 1', 'epoch: 1') });
    const r = await runTask(trainTask(p), { home: p.home });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toContain('train.epoch is not a known key');
    expect(r.log).not.toContain('starting child process'); // refused before any training process started
  });

  it.concurrent('fails naming the key when params.yaml has a bad value', async () => {
    const p = await makeProject({ dvc: false, params: TINY_PARAMS.replace('input_size: 32', 'input_size: big') });
    const r = await runTask(trainTask(p), { home: p.home });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toMatch(/model\.input_size .*\(got "big"\)/);
  });

  it.concurrent('fails naming train.epochs when the trigger conf overrides it with "x"', async () => {
    const p = await makeProject({ dvc: false });
    const r = await runTask(trainTask(p), { home: p.home, conf: { params: { 'train.epochs': 'x' } } });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toContain('train.epochs must be a positive integer (got "x")');
  });

  it.concurrent('fails with the child\'s own error (exit code and last stderr lines) when there is no data', async () => {
    const p = await makeProject({ dvc: false });
    const r = await runTask(trainTask(p), { home: p.home });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toMatch(/^dagctl train failed with exit code [1-9]/);
    expect(r.error).toContain(`no train/ split under ${path.join(p.root, 'data', 'chest_xray')}`);
    expect(r.log).toContain('starting child process');
  });
});
