// End to end: the continuous_retraining DAG on real X-rays, through the real CLI, worker processes, training and
// evaluation child processes, a DVC remote on disk, MLflow's file store, the registry, an SMTP sink and a webhook.
// A tiny model (32x32, width 8) keeps it to seconds per run; everything else is the product as shipped.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, init, push } from '../../src/dvc/index.js';
import { openEngine } from '../../src/engine/service.js';
import { startSmtpSink, startWebhook, type SmtpSink, type Webhook } from '../notify/sinks.js';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'bin', 'dagctl.js');
// The quick set carved from Kaggle's train split (shared/ sits beside the checkout, in CI too).
const images = path.join(repo, '..', 'shared', 'data', 'chest_xray_small', 'train');
const logger = pino({ level: 'silent' });

let project: string;
let smtp: SmtpSink;
let slack: Webhook;

async function copyImages(cls: 'NORMAL' | 'PNEUMONIA', from: number, count: number, to: string): Promise<void> {
  const names = (await readdir(path.join(images, cls))).sort().slice(from, from + count);
  await mkdir(path.join(project, to, cls), { recursive: true });
  for (const n of names) await cp(path.join(images, cls, n), path.join(project, to, cls, n));
}

function dagctl(args: string[], cwd = repo) {
  return execa(process.execPath, [bin, ...args], {
    cwd,
    reject: false,
    env: {
      DAGCTL_HOME: path.join(project, 'runs'),
      DAGCTL_PROJECT_ROOT: project,
      DAGCTL_LOAD_EXAMPLES: 'false',
      DAGCTL_PARALLELISM: '2',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      NOTIFY_EMAIL_FROM: 'pipeline@example.test',
      NOTIFY_EMAIL_TO: 'radiology-ml@example.test',
      SLACK_WEBHOOK_URL: slack.url,
      MLFLOW_TRACKING_URI: '',
    },
  });
}

/** task_id (task_id[i] for a mapped task's instances) -> state. */
async function taskStates(runId: string, dagId = 'continuous_retraining'): Promise<Record<string, string | null>> {
  const r = await dagctl(['tasks', 'states-for-dag-run', dagId, runId, '-o', 'json']);
  expect(r.exitCode, r.stderr).toBe(0);
  const rows = JSON.parse(r.stdout) as { task_id: string; map_index: number; state: string | null }[];
  return Object.fromEntries(rows.map((t) => [t.map_index >= 0 ? `${t.task_id}[${t.map_index}]` : t.task_id, t.state]));
}

async function lastRunId(dagId = 'continuous_retraining'): Promise<string> {
  const r = await dagctl(['runs', 'list', '-d', dagId, '-o', 'json', '--limit', '1']);
  return (JSON.parse(r.stdout) as { run_id: string }[])[0]!.run_id;
}

beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'pipeline-e2e-'));
  [smtp, slack] = await Promise.all([startSmtpSink(), startWebhook(200, 'ok')]);
  // A checkout of our own: params for a tiny model and floors that any model passes (the gate has its own tests).
  await writeFile(
    path.join(project, 'params.yaml'),
    [
      'model: { input_size: 32, width: 8 }',
      'train: { epochs: 1, batch_size: 8, early_stopping_patience: 0 }',
      'gate: { min_recall: 0, min_specificity: 0, min_improvement: 0, recall_tolerance: 1 }',
      "search: { grid: { 'train.learning_rate': [0.001, 0.0001] } }",
      '',
    ].join('\n'),
  );
  for (const cls of ['NORMAL', 'PNEUMONIA'] as const) {
    await copyImages(cls, 0, 10, 'data/chest_xray/train');
    await copyImages(cls, 10, 6, 'data/chest_xray/test');
  }
  await init(project, { noScm: true });
  await writeFile(path.join(project, '.dvc', 'config'), "[core]\n    no_scm = True\n    remote = store\n['remote \"store\"']\n    url = ../remote\n");
  await add('data/chest_xray', { repoRoot: project, logger });
  await push({ repoRoot: project, logger });
  // The workspace starts empty: the pipeline's dvc_pull must bring the data.
  await rm(path.join(project, 'data', 'chest_xray'), { recursive: true });
}, 120_000);

afterAll(async () => {
  await Promise.all([smtp?.close(), slack?.close()]);
  if (project) await rm(project, { recursive: true, force: true });
});

// Each run starts several processes (CLI, workers, training and evaluation children): allow minutes on busy CI.
describe('continuous_retraining end to end', { timeout: 300_000 }, () => {
  it('pulls, trains, logs, deploys a first champion and tells people', async () => {
    const r = await dagctl(['trigger', 'continuous_retraining', '--wait']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout, 'the run ends with the decision and the metrics').toMatch(/Decision: promoted[\s\S]*auc/);
    const runId = await lastRunId();
    expect(await taskStates(runId)).toEqual({
      check_new_data: 'success', dvc_pull: 'success', train: 'success', log_metrics: 'success',
      compare_models: 'success', deploy: 'success', skip_deploy: 'skipped', notify: 'success',
    });
    const models = JSON.parse((await dagctl(['models', 'list', '-o', 'json'])).stdout) as { version: number; champion: string }[];
    expect(models.map((m) => [m.version, m.champion])).toEqual([[1, '*']]);
    // The first model starts from scratch and carries the threshold chosen on its validation images.
    const champion = JSON.parse(await readFile(path.join(project, 'runs', 'registry', 'pneumonia', 'versions', '1', 'metadata.json'), 'utf8'));
    expect(champion.init.mode).toBe('scratch');
    expect(champion.threshold).toBe(champion.calibration.threshold);
    expect(champion.metrics.threshold).toBe(champion.threshold);
    // MLflow file store: one experiment with one finished run holding the test AUC.
    const mlruns = path.join(project, 'runs', 'mlruns');
    const exp = (await readdir(mlruns)).find((d) => /^\d+$/.test(d) && d !== '0');
    const run = (await readdir(path.join(mlruns, exp!))).find((d) => /^[0-9a-f]{32}$/.test(d));
    expect(await readFile(path.join(mlruns, exp!, run!, 'metrics', 'test_auc'), 'utf8')).toMatch(/^\d+ [\d.]+ 0\n$/);
    const mail = smtp.mails.at(-1)!;
    expect(mail.subject).toMatch(/promoted/i);
    expect(mail.text).toContain(runId);
    expect(slack.bodies.length).toBeGreaterThan(0);
  });

  it('short-circuits when no new data arrived', async () => {
    const mailsBefore = smtp.mails.length;
    const r = await dagctl(['trigger', 'continuous_retraining', '--wait']);
    expect(r.exitCode, r.stderr).toBe(0);
    const states = await taskStates(await lastRunId());
    expect(states.check_new_data).toBe('success');
    for (const t of ['dvc_pull', 'train', 'log_metrics', 'compare_models', 'deploy', 'skip_deploy', 'notify']) expect(states[t], t).toBe('skipped');
    expect(smtp.mails.length).toBe(mailsBefore);
  });

  it('retrains on new data (skipping a corrupt JPEG), compares with the champion and reports both', async () => {
    for (const cls of ['NORMAL', 'PNEUMONIA'] as const) await copyImages(cls, 16, 6, 'data/chest_xray/train');
    await writeFile(path.join(project, 'data/chest_xray/train/PNEUMONIA/truncated.jpeg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
    for (const args of [['dvc', 'add', 'data/chest_xray'], ['dvc', 'push']]) {
      const r = await dagctl(args, project);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const r = await dagctl(['trigger', 'continuous_retraining', '--wait']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runId = await lastRunId();
    const states = await taskStates(runId);
    expect(states.train).toBe('success');
    expect(states.compare_models).toBe('success');
    expect([states.deploy, states.skip_deploy].sort()).toEqual(['skipped', 'success']);

    const dags = path.join(repo, 'src', 'dags');
    const engine = await openEngine({ home: path.join(project, 'runs'), dagsFolders: [dags], excludeFolders: [path.join(dags, 'examples')], parallelism: 1, logger });
    const compare = engine.xcom('continuous_retraining', runId, 'compare_models') as any; // any: a JSON document we probe
    const train = engine.xcom('continuous_retraining', runId, 'train') as any; // any: a JSON document we probe
    await engine.close();
    expect(compare.champion.version).toBe(1);
    // Warm start: the candidate continued from champion v1; each side was judged at its own threshold.
    expect(train.init).toMatchObject({ mode: 'champion', champion_version: 1 });
    const championMeta = JSON.parse(await readFile(path.join(compare.champion.model_dir, 'metadata.json'), 'utf8'));
    expect(compare.champion.metrics.threshold).toBe(championMeta.threshold);
    expect(compare.candidate.metrics.threshold).toBe(train.threshold);
    expect(compare.candidate.test_set_hash).toBe(compare.champion.test_set_hash);
    expect(compare.mcnemar).toHaveProperty('p_value');
    const trained = JSON.parse(await readFile(path.join(compare.candidate.model_dir, 'metadata.json'), 'utf8'));
    expect(trained.skipped_files.map((f: { path: string }) => path.basename(f.path))).toContain('truncated.jpeg');

    const mail = smtp.mails.at(-1)!;
    expect(mail.text).toMatch(/candidate/i);
    expect(mail.text).toMatch(/champion/i);
    expect(mail.text).toContain(compare.candidate.metrics.auc.toFixed(4));
    expect(mail.text).toContain(compare.champion.metrics.auc.toFixed(4));
    expect(mail.text).toContain(`Candidate: continued champion v1; decision threshold ${train.threshold.toFixed(4)} (chosen on val)`);
  });

  it('hyperparameter_search trains one model per grid combination, logs them under one MLflow parent run, and hands the best to the same gate', async () => {
    const r = await dagctl(['trigger', 'hyperparameter_search', '--wait']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runId = await lastRunId('hyperparameter_search');
    const states = await taskStates(runId, 'hyperparameter_search');
    expect(states).toMatchObject({
      dvc_pull: 'success', make_grid: 'success', 'train[0]': 'success', 'train[1]': 'success', pick_best: 'success',
      log_metrics: 'success', compare_models: 'success', notify: 'success',
    });
    expect([states.deploy, states.skip_deploy].sort()).toEqual(['skipped', 'success']);

    const dags = path.join(repo, 'src', 'dags');
    const engine = await openEngine({ home: path.join(project, 'runs'), dagsFolders: [dags], excludeFolders: [path.join(dags, 'examples')], parallelism: 1, logger });
    const trials = engine.xcom('hyperparameter_search', runId, 'train') as any[]; // any: JSON documents we probe
    const best = engine.xcom('hyperparameter_search', runId, 'pick_best') as any; // any: a JSON document we probe
    const logged = engine.xcom('hyperparameter_search', runId, 'log_metrics') as any; // any: a JSON document we probe
    await engine.close();
    expect(trials.map((t) => [t.map_index, t.overrides])).toEqual([[0, { 'train.learning_rate': 0.001 }], [1, { 'train.learning_rate': 0.0001 }]]);
    expect(new Set(trials.map((t) => t.model_dir)).size).toBe(2); // each trial trained into its own folder
    expect(best.val_auc).toBe(Math.max(...trials.map((t) => t.val_auc)));
    const bestIndex = trials.findIndex((t) => t.model_dir === best.model_dir);
    // MLflow: the trials are child runs of one parent run, in the search's own experiment.
    const runDir = (id: string) => path.join(project, 'runs', 'mlruns', logged.experiment_id, id);
    const parentTag = async (id: string) => readFile(path.join(runDir(id), 'tags', 'mlflow.parentRunId'), 'utf8');
    expect(logged.trial_run_ids).toHaveLength(2);
    for (const id of logged.trial_run_ids) expect(await parentTag(id)).toBe(logged.parent_run_id);
    expect(logged.mlflow_run_id).toBe(logged.trial_run_ids[bestIndex]);
    expect(await readFile(path.join(runDir(logged.parent_run_id), 'metrics', 'trials'), 'utf8')).toMatch(/^\d+ 2(\.0)? 0\n$/);
    expect(await readFile(path.join(runDir(logged.parent_run_id), 'params', 'grid.train.learning_rate'), 'utf8')).toBe('[0.001,0.0001]');
    expect(await readFile(path.join(runDir(logged.trial_run_ids[1]), 'tags', 'dagctl.map_index'), 'utf8')).toBe('1');
  });
});
