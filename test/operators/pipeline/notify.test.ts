// NotifyOperator: the run's summary, built from the upstream tasks' XComs, mailed to a real SMTP sink and posted to a
// Slack-like webhook; unconfigured channels are skipped; a failing channel fails the task after the other was tried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAG, type Json, type Task } from '../../../src/engine/index.js';
import type { CheckNewDataResult } from '../../../src/operators/check-new-data.js';
import type { CompareResult } from '../../../src/operators/compare-models.js';
import type { DeployResult } from '../../../src/operators/deploy.js';
import type { DvcPullResult } from '../../../src/operators/dvc-pull.js';
import { FunctionOperator } from '../../../src/operators/function.js';
import type { LogMetricsResult } from '../../../src/operators/log-metrics.js';
import { NotifyOperator } from '../../../src/operators/notify.js';
import type { TrainResult } from '../../../src/operators/train-resnet18.js';
import { cleanup, RUN_ID, runDag, runTask, tempDir } from '../../fixtures/pipeline/harness.js';
import { closedPort, startSmtpSink, startWebhook, type SmtpSink, type Webhook } from '../../notify/sinks.js';

let smtp: SmtpSink;
let slack: Webhook;
let archived: Webhook;
beforeAll(async () => {
  [smtp, slack, archived] = await Promise.all([startSmtpSink(), startWebhook(200, 'ok'), startWebhook(410, 'channel_is_archived')]);
});
afterAll(async () => {
  await Promise.all([smtp?.close(), slack?.close(), archived?.close()]);
  await cleanup();
});

const VERSION = '3f2b8a0c9d1e4f5a6b7c8d9e0f1a2b3c.dir';
const candidateMetrics = { auc: 0.9123, recall: 0.95, specificity: 0.7, accuracy: 0.84, n: 200 };
const championMetrics = { auc: 0.8771, recall: 0.93, specificity: 0.66, accuracy: 0.81, n: 200 };

/** The upstream tasks' XComs of a run that got as far as compare_models, with `promote` as the gate decided. */
function upstream(promote: boolean): Record<string, Json> {
  const check: CheckNewDataResult = { proceed: true, reason: 'new data', data_version: VERSION, champion_version: 1, champion_data_version: 'old.dir' };
  const pull: DvcPullResult = { tool: 'built-in', summary: '12 files fetched', data_version: VERSION };
  const train: TrainResult = { model_dir: '/m', init: { mode: 'champion', champion_version: 1, from: 'runs/registry/pneumonia/versions/1' }, threshold: 0.82, threshold_rule: 'balanced_accuracy', data_version: VERSION, backend: 'native-cpu', threads: 2, trained_from_scratch: false, map_index: -1, overrides: {}, val_auc: 0.91, training_time_s: 3, train_images_per_s: 9, metrics: candidateMetrics };
  const log: LogMetricsResult = { tracking: 'file', tracking_uri: '/mlruns', experiment_id: '1', mlflow_run_id: 'a'.repeat(32), run_url: 'file:///mlruns/1/aaaa' };
  const compare: CompareResult = {
    promote,
    reason: promote ? 'candidate beats champion v1: auc 0.9123 vs champion 0.8771' : 'kept the champion: auc 0.9123 vs champion 0.8771 (delta +0.0352, needs >= +0.0500)',
    checks: [],
    candidate: { version: null, model_dir: '/m', metrics: candidateMetrics, test_set_hash: 'h' },
    champion: { version: 1, model_dir: '/c', metrics: championMetrics, test_set_hash: 'h' },
    mcnemar: { b: 3, c: 9, statistic: 3, p_value: 0.146, method: 'exact' },
    next_task: promote ? 'deploy' : 'skip_deploy',
  };
  return { check_new_data: check, dvc_pull: pull, train, log_metrics: log, compare_models: compare };
}
const deployed: DeployResult = { version: 2, previous_version: 1, promoted_at: '2026-01-01T00:10:00.000Z', mlflow_model_version: null };

/** The pipeline's shape with stand-in upstream tasks (their XComs come from the test), and notify (all_done) last. */
function pipeline(fail?: string): { dag: DAG; notify: NotifyOperator; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = {};
  const dag = new DAG({ dagId: 'notify_test', schedule: null });
  const x = upstream(true);
  const stand = <T extends Json>(taskId: string, value: Json): Task<T> =>
    dag.add(new FunctionOperator<T>({ taskId, fn: () => {
      if (taskId === fail) throw new Error(`${taskId} broke`);
      return value as T;
    } }));
  const tasks = {
    check: stand<CheckNewDataResult>('check_new_data', x.check_new_data!),
    pull: stand<DvcPullResult>('dvc_pull', x.dvc_pull!),
    train: stand<TrainResult>('train', x.train!),
    logMetrics: stand<LogMetricsResult>('log_metrics', x.log_metrics!),
    compare: stand<CompareResult>('compare_models', x.compare_models!),
    deploy: stand<DeployResult>('deploy', deployed),
  };
  const notify = dag.add(new NotifyOperator({ taskId: 'notify', tasks, env }));
  tasks.check.then(tasks.pull).then(tasks.train).then(tasks.logMetrics).then(tasks.compare).then(tasks.deploy).then(notify);
  return { dag, notify, env };
}

const channels = (smtpPort: number, webhookUrl: string): NodeJS.ProcessEnv => ({
  SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort), NOTIFY_EMAIL_FROM: 'pipeline@example.test', NOTIFY_EMAIL_TO: 'ml-team@example.test', SLACK_WEBHOOK_URL: webhookUrl,
});

async function notify(xcom: Record<string, Json>, env: NodeJS.ProcessEnv) {
  const p = pipeline();
  Object.assign(p.env, env);
  return runTask(p.notify, { home: await tempDir(), xcom });
}

/** Notify runs one at a time here: each test reads "the next mail" from the shared sink. */
describe('notify', { timeout: 180_000 }, () => {
  it('mails and posts "promoted" with both models\' metrics side by side', async () => {
    const mail = smtp.next();
    const posts = slack.bodies.length;
    const r = await notify({ ...upstream(true), deploy: deployed }, channels(smtp.port, slack.url));
    expect(r.result.outcome, r.log).toBe('success');
    expect(r.value).toMatchObject({ decision: 'promoted', channels: [{ channel: 'email', status: 'sent' }, { channel: 'slack', status: 'sent' }] });
    const m = await mail;
    // The summary `dagctl trigger --wait` prints is the mail's own text.
    expect((r.value as { summary: string }).summary.trim()).toBe(m.text?.trim());
    expect(m.subject).toBe('[dagctl] notify_test: promoted model v2 (AUC 0.912, was AUC 0.877)');
    expect(m.text).toContain(`notify_test run ${RUN_ID}: success`);
    expect(m.text).toContain('Decision: promoted - candidate beats champion v1');
    expect(m.text).toContain(`Data version: ${VERSION}`);
    expect(m.text).toContain('Candidate: continued champion v1; decision threshold 0.8200 (chosen on val)');
    expect(m.text).toMatch(/auc\s+0\.9123\s+0\.8771\s+\+0\.0352/);
    expect(m.text).toMatch(/recall\s+0\.9500\s+0\.9300/);
    expect(m.text).toContain('file:///mlruns/1/aaaa');
    expect(slack.bodies.length).toBe(posts + 1);
    expect(JSON.stringify(slack.bodies.at(-1))).toContain('promoted model v2');
  });

  it('mails "kept_champion" with both models\' metrics when deploy was skipped', async () => {
    const mail = smtp.next();
    const r = await notify(upstream(false), channels(smtp.port, slack.url));
    expect(r.result.outcome, r.log).toBe('success');
    const m = await mail;
    expect(m.subject).toBe('[dagctl] notify_test: kept champion v1; candidate not better (AUC 0.912 vs AUC 0.877)');
    expect(m.text).toContain('Decision: kept_champion - kept the champion: auc 0.9123');
    expect(m.text).toMatch(/auc\s+0\.9123\s+0\.8771\s+\+0\.0352/);
    expect(m.text).not.toContain('Failed tasks');
  });

  it('runs after a failed task (all_done) and mails "failed" naming the task that failed', async () => {
    const mail = smtp.next();
    const p = pipeline('train');
    Object.assign(p.env, channels(smtp.port, slack.url));
    const run = await runDag(p.dag, { home: await tempDir() });
    expect(run.states).toMatchObject({ train: 'failed', log_metrics: 'upstream_failed', compare_models: 'upstream_failed', notify: 'success' });
    const m = await mail;
    expect(m.subject).toBe('[dagctl] notify_test: FAILED (train)');
    expect(m.text).toContain(`notify_test run ${run.runId}: failed`);
    expect(m.text).toContain('Failed tasks: train\n');
    expect(m.text).toContain(`Data version: ${VERSION}`);
  });

  it('mails "failed" naming deploy when the gate promoted but deploy failed', async () => {
    const mail = smtp.next();
    const p = pipeline('deploy');
    Object.assign(p.env, channels(smtp.port, slack.url));
    const run = await runDag(p.dag, { home: await tempDir() });
    expect(run.states).toMatchObject({ compare_models: 'success', deploy: 'failed', notify: 'success' });
    const m = await mail;
    expect(m.subject).toMatch(/^\[dagctl\] notify_test: FAILED \(deploy\)/);
    expect(m.text).toMatch(/auc\s+0\.9123\s+0\.8771\s+\+0\.0352/); // both models are still shown
  });

  it('skips unconfigured channels without failing', async () => {
    const r = await notify(upstream(false), {});
    expect(r.result.outcome, r.log).toBe('success');
    expect(r.value).toMatchObject({ channels: [{ channel: 'email', status: 'skipped' }, { channel: 'slack', status: 'skipped' }] });
    expect(r.log).toMatch(/INFO - notify\.skipped .*"channel":"email".*SMTP_HOST is not set/);
    expect(r.log).toMatch(/INFO - notify\.skipped .*"channel":"slack".*SLACK_WEBHOOK_URL is not set/);
  });

  it('fails clearly when the SMTP server is down, after posting to Slack all the same', async () => {
    const port = await closedPort();
    const posts = slack.bodies.length;
    const r = await notify({ ...upstream(true), deploy: deployed }, channels(port, slack.url));
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toContain(`notification failed on email: email failed (cannot reach SMTP server 127.0.0.1:${port}`);
    expect(r.error).toContain('slack sent');
    expect(r.error).toContain('hint: check SMTP_HOST, SMTP_PORT');
    expect(r.result.error!.nonRetryable).toBe(false); // a server that is down may come back: the engine retries
    expect(slack.bodies.length).toBe(posts + 1);
  });

  it('a retry after a failed email mails once and does not post to Slack again', async () => {
    const home = await tempDir();
    const p = pipeline();
    const posts = slack.bodies.length;
    const xcom = { ...upstream(true), deploy: deployed };
    Object.assign(p.env, channels(await closedPort(), slack.url));
    const first = await runTask(p.notify, { home, xcom, tryNumber: 1 });
    expect(first.result.outcome).toBe('failed');
    expect(slack.bodies.length).toBe(posts + 1);
    // The SMTP server is back for try 2.
    Object.assign(p.env, channels(smtp.port, slack.url));
    const mail = smtp.next();
    const second = await runTask(p.notify, { home, xcom, tryNumber: 2 });
    expect(second.result.outcome, second.log).toBe('success');
    expect((await mail).subject).toMatch(/promoted model v2/);
    expect(slack.bodies.length, 'Slack got the notice once').toBe(posts + 1);
    expect(second.value).toMatchObject({ channels: [{ channel: 'email', status: 'sent' }, { channel: 'slack', status: 'sent' }] });
    expect(second.log).toMatch(/notify\.already_sent .*"channel":"slack"/);
  });

  it('fails without retrying on a Slack 410 (archived channel), after mailing all the same', async () => {
    const mail = smtp.next();
    const r = await notify({ ...upstream(true), deploy: deployed }, channels(smtp.port, archived.url));
    expect(r.result.outcome).toBe('failed');
    expect(r.error).toContain('notification failed on slack: email sent; slack failed (Slack webhook answered 410 channel_is_archived)');
    expect(r.error).toContain('hint: the channel was archived');
    expect(r.result.error!.nonRetryable).toBe(true); // retrying cannot unarchive a channel
    expect((await mail).subject).toMatch(/promoted model v2/);
    expect(archived.bodies).toHaveLength(1);
  });
});
