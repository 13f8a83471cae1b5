// LogMetricsOperator with the shared tiny candidate: MLflow's file-store layout, a (fake) MLflow REST server, and an
// unreachable server with pipeline.on_mlflow_unreachable = fallback (file store + warning) or fail (task fails).
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAG, type Json } from '../../../src/engine/index.js';
import { LogMetricsOperator, type LogMetricsResult } from '../../../src/operators/log-metrics.js';
import { TrainResNet18Operator } from '../../../src/operators/train-resnet18.js';
import { cleanup, runTask, sharedCandidate, tempDir, type Candidate } from '../../fixtures/pipeline/harness.js';
import { closedPort } from '../../notify/sinks.js';
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

function logTask(env: NodeJS.ProcessEnv) {
  const dag = new DAG({ dagId: 'log_test', schedule: null });
  const train = dag.add(new TrainResNet18Operator({ taskId: 'train', project: c.project.project }));
  const log = dag.add(new LogMetricsOperator({ taskId: 'log_metrics', project: c.project.project, train, env }));
  train.then(log);
  return log;
}

async function logMetrics(env: NodeJS.ProcessEnv, conf: { [k: string]: Json } = {}) {
  const home = await tempDir();
  const r = await runTask(logTask(env), { home, conf, xcom: { train: c.trained } });
  return { ...r, home, value: r.value as LogMetricsResult | undefined };
}

const line = async (f: string): Promise<string> => (await readFile(f, 'utf8')).trim();

describe('log_metrics', { timeout: 180_000 }, () => {
  it("writes MLflow's file-store layout under <home>/mlruns when no tracking URI is set", async () => {
    const r = await logMetrics({});
    expect(r.result.outcome, r.log).toBe('success');
    const { experiment_id: exp, mlflow_run_id: run } = r.value!;
    expect(r.value).toMatchObject({ tracking: 'file', tracking_uri: path.join(r.home, 'mlruns') });
    const mlruns = path.join(r.home, 'mlruns');
    expect(await readFile(path.join(mlruns, exp, 'meta.yaml'), 'utf8')).toContain('name: continuous_retraining');
    const runDir = path.join(mlruns, exp, run);
    const meta = await readFile(path.join(runDir, 'meta.yaml'), 'utf8');
    expect(meta).toContain('status: 3'); // FINISHED
    expect(meta).toContain(`run_name: log_test__manual__2026-01-01T00:00:00+00:00`);
    expect(await line(path.join(runDir, 'metrics', 'test_auc'))).toMatch(new RegExp(`^\\d+ ${String(c.trained.metrics.auc).replace('.', '\\.')}\\d* 0$`));
    expect(await line(path.join(runDir, 'metrics', 'loss'))).toMatch(/^\d+ [\d.e+-]+ 1$/); // per-epoch curve, step = epoch
    expect(await line(path.join(runDir, 'params', 'model.input_size'))).toBe('32');
    expect(await line(path.join(runDir, 'params', 'train.batch_size'))).toBe('8');
    expect(await line(path.join(runDir, 'tags', 'data_version'))).toBe(c.project.version);
    expect(await line(path.join(runDir, 'tags', 'backend'))).toBe(c.trained.backend);
    for (const f of ['model.json', 'weights.bin', 'metadata.json']) expect(existsSync(path.join(runDir, 'artifacts', 'model', f)), f).toBe(true);
    expect(await readdir(path.join(runDir, 'artifacts', 'model', 'plots'))).not.toHaveLength(0);
    expect(r.value!.run_url).toContain(run);
  });

  it('logs to an MLflow server over REST when MLFLOW_TRACKING_URI is set', async () => {
    const r = await logMetrics({ MLFLOW_TRACKING_URI: mlflow.url });
    expect(r.result.outcome, r.log).toBe('success');
    expect(r.value).toMatchObject({ tracking: 'rest', tracking_uri: mlflow.url });
    const run = mlflow.runs.get(r.value!.mlflow_run_id)!;
    expect(run.info.status).toBe('FINISHED');
    expect(mlflow.experiments.get(r.value!.experiment_id)!.name).toBe('continuous_retraining');
    expect(run.metrics.find((m) => m.key === 'test_auc')!.value).toBe(c.trained.metrics.auc);
    expect(run.params.get('model.width')).toBe('8');
    expect(run.tags.get('data_version')).toBe(c.project.version);
    const uploaded = [...mlflow.artifacts.keys()].filter((k) => k.includes(r.value!.mlflow_run_id));
    expect(uploaded.some((k) => k.endsWith('artifacts/model/model.json'))).toBe(true);
    expect(uploaded.some((k) => k.endsWith('artifacts/model/weights.bin'))).toBe(true);
    expect(r.value!.run_url.startsWith(mlflow.url)).toBe(true);
  });

  it('falls back to the file store with a warning when the server is unreachable (on_mlflow_unreachable: fallback)', async () => {
    const uri = `http://127.0.0.1:${await closedPort()}`;
    const r = await logMetrics({ MLFLOW_TRACKING_URI: uri });
    expect(r.result.outcome, r.log).toBe('success');
    expect(r.value!.tracking).toBe('file');
    expect(r.log).toMatch(/WARNING - mlflow\.unreachable\.falling_back_to_file_store/);
    expect(existsSync(path.join(r.home, 'mlruns', r.value!.experiment_id, r.value!.mlflow_run_id, 'metrics', 'test_auc'))).toBe(true);
  });

  it('fails with a hint when the server is unreachable and on_mlflow_unreachable is fail', async () => {
    const uri = `http://127.0.0.1:${await closedPort()}`;
    const r = await logMetrics({ MLFLOW_TRACKING_URI: uri }, { params: { 'pipeline.on_mlflow_unreachable': 'fail' } });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toContain(`MLflow tracking server ${uri} is unreachable`);
    expect(r.error).toContain('hint: check MLFLOW_TRACKING_URI');
    expect(r.error).toContain('pipeline.on_mlflow_unreachable');
    expect(existsSync(path.join(r.home, 'mlruns'))).toBe(false);
  });

  it('fails clearly when the train task pushed no result', async () => {
    const home = await tempDir();
    const r = await runTask(logTask({}), { home });
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toBe("no candidate: task 'train' pushed no result");
  });
});
