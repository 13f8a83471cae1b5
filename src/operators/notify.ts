import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BaseOperator, NonRetryableError, type Json, type Task, type TaskContext, type TaskOptions } from '../engine/index.js';
import { notifyAll, NotifyError, NotifyFailedError, renderNotice, type Channel, type ChannelResult, type RunSummary } from '../notify/index.js';
import type { CheckNewDataResult } from './check-new-data.js';
import type { CompareResult } from './compare-models.js';
import type { DeployResult } from './deploy.js';
import type { DvcPullResult } from './dvc-pull.js';
import type { LogMetricsResult } from './log-metrics.js';
import { outputDir } from './ml/project.js';
import type { TrainResult } from './train-resnet18.js';

export interface PipelineTasks {
  /** Absent in a DAG that always trains (hyperparameter_search). */
  check?: Task<CheckNewDataResult>;
  pull: Task<DvcPullResult>;
  train: Task<TrainResult>;
  logMetrics: Task<LogMetricsResult>;
  compare: Task<CompareResult>;
  deploy: Task<DeployResult>;
}

type Metrics = Record<string, number>;

function numbers(m: { [k: string]: Json } | undefined): Metrics {
  return Object.fromEntries(Object.entries(m ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

/** What happened in this run, from the upstream tasks' XComs (any of which may be missing when a task failed). */
export function summarise(ctx: Pick<TaskContext, 'dagId' | 'runId' | 'xcomPull'>, t: PipelineTasks, failedTasks: string[]): RunSummary {
  const check = t.check && ctx.xcomPull(t.check);
  const pulled = ctx.xcomPull(t.pull);
  const trained = ctx.xcomPull(t.train);
  const logged = ctx.xcomPull(t.logMetrics);
  const compared = ctx.xcomPull(t.compare);
  const deployed = ctx.xcomPull(t.deploy);
  const start =
    trained?.init.mode === 'champion' ? `continued champion v${trained.init.champion_version ?? '?'}` : trained?.init.mode === 'pretrained' ? `started from ${trained.init.from ?? 'a pretrained model'}` : 'trained from scratch';
  const how = trained?.threshold_rule === 'fixed' ? 'fixed in params' : 'chosen on val';
  const notes = trained ? [`Candidate: ${start}; decision threshold ${trained.threshold.toFixed(4)} (${how}); each model is judged at its own threshold`] : [];
  const base = {
    dagId: ctx.dagId,
    runId: ctx.runId,
    notes,
    dataVersion: pulled?.data_version ?? check?.data_version ?? null,
    links: logged ? [{ label: `MLflow run (${logged.tracking})`, url: logged.run_url }] : [],
  };
  const candidate = compared ? { metrics: numbers(compared.candidate.metrics), ...(deployed ? { version: deployed.version } : {}) } : trained ? { metrics: numbers(trained.metrics) } : undefined;
  const champion = compared?.champion ? { metrics: numbers(compared.champion.metrics), ...(compared.champion.version !== null ? { version: compared.champion.version } : {}) } : undefined;
  if (failedTasks.length > 0) {
    return { ...base, state: 'failed', decision: 'failed', reason: `failed: ${failedTasks.join(', ')}`, failedTasks, ...(candidate ? { candidate } : {}), ...(champion ? { champion } : {}) };
  }
  if (check && !check.proceed) return { ...base, state: 'success', decision: 'no_new_data', reason: check.reason };
  return {
    ...base,
    state: 'success',
    decision: deployed ? 'promoted' : 'kept_champion',
    reason: compared?.reason ?? 'no comparison was made',
    ...(candidate ? { candidate } : {}),
    ...(champion ? { champion } : {}),
  };
}

/**
 * Tells people what happened: email and Slack when configured (unconfigured channels are skipped, not errors).
 * Runs whatever happened upstream (trigger rule all_done); a failing channel fails this task so the engine retries
 * it, but never changes the other tasks' results.
 */
export type NotifyResult = {
  decision: string;
  /** The notice as plain text; `dagctl trigger --wait` prints a leaf task's `summary` after the run. */
  summary: string;
  channels: { channel: string; status: string }[];
};

export class NotifyOperator extends BaseOperator<NotifyResult> {
  readonly #o: { tasks: PipelineTasks; env: NodeJS.ProcessEnv };

  constructor(o: TaskOptions & { tasks: PipelineTasks; env?: NodeJS.ProcessEnv }) {
    super({ triggerRule: 'all_done', ...o });
    this.#o = { tasks: o.tasks, env: o.env ?? process.env };
  }

  async execute(ctx: TaskContext): Promise<NotifyResult> {
    const t = this.#o.tasks;
    const check = t.check && ctx.xcomPull(t.check);
    const summary = summarise(ctx, t, check && !check.proceed ? [] : failedTasks(ctx, t));
    ctx.logger.info({ decision: summary.decision }, summary.reason);
    // Channels reached by an earlier try of this run are recorded in the task's output folder (it survives
    // retries): a retry after a failed email does not post to Slack twice.
    const marker = path.join(outputDir(ctx.home, ctx.dagId, ctx.runId, ctx.taskId), 'sent.json');
    const alreadySent = new Set(await readFile(marker, 'utf8').then((text) => JSON.parse(text) as Channel[], () => []));
    const record = async (results: readonly ChannelResult[]) => {
      const sent = results.filter((r) => r.status === 'sent').map((r) => r.channel);
      await mkdir(path.dirname(marker), { recursive: true });
      await writeFile(marker, JSON.stringify(sent));
    };
    try {
      const results = await notifyAll(summary, { env: this.#o.env, logger: ctx.logger, alreadySent });
      await record(results);
      return { decision: summary.decision, summary: renderNotice(summary).text, channels: results.map((r) => ({ channel: r.channel, status: r.status })) };
    } catch (err) {
      if (!(err instanceof NotifyFailedError)) throw err;
      await record(err.results);
      // The engine records only the message: keep the hint in it, and do not retry what retrying cannot fix
      // (an archived Slack channel, a mailbox the server refuses for good).
      const message = `${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`;
      throw err.retryable ? new NotifyError(message, err.code, err.hint, true, { cause: err }) : new NonRetryableError(message, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
    }
  }
}

/**
 * The tasks that failed, from the XComs present. Up to compare_models the pipeline is a chain, so the first task
 * without a result is the one that failed (the ones after it never ran: upstream_failed). Deploy has no result
 * either when the gate kept the champion, so it counts as failed only when the gate said promote.
 */
function failedTasks(ctx: Pick<TaskContext, 'xcomPull'>, t: PipelineTasks): string[] {
  const chain = [t.check, t.pull, t.train, t.logMetrics, t.compare].filter((task) => task !== undefined);
  const first = chain.find((task) => ctx.xcomPull(task) === undefined);
  if (first) return [first.taskId];
  return ctx.xcomPull(t.compare)?.promote === true && ctx.xcomPull(t.deploy) === undefined ? [t.deploy.taskId] : [];
}
