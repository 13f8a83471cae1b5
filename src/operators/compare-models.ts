import path from 'node:path';
import { BaseOperator, type Json, type Task, type TaskContext, type TaskOptions } from '../engine/index.js';
import { openRegistry } from '../registry/index.js';
import { decide, type EvaluatedModel, type GateDecision } from '../promotion/gate.js';
import { mcnemar, type McNemarResult } from '../training/index.js';
import { evaluateInChild, evaluationFromTraining, type ChildEvaluation } from './ml/evaluate-child.js';
import { outputDir, registryRoot, runParams, type Project } from './ml/project.js';
import type { TrainResult } from './train-resnet18.js';

type Side = { version: number | null; model_dir: string; metrics: { [k: string]: Json }; test_set_hash: string };

export type CompareResult = {
  promote: boolean;
  reason: string;
  checks: GateDecision['checks'];
  candidate: Side;
  champion: Side | null;
  /** Paired test on the same images: b = champion right & candidate wrong, c = the reverse. */
  mcnemar: { [K in keyof McNemarResult]: McNemarResult[K] } | null;
  next_task: string;
};

/** Per image, whether the model was right at its own calibrated threshold (the one its metrics used). */
function correctness(e: ChildEvaluation): Map<string, boolean> {
  return new Map(e.predictions.map((p) => [p.path, (p.probability >= e.metrics.threshold ? 1 : 0) === p.label]));
}

function side(version: number | null, dir: string, e: ChildEvaluation): Side {
  return { version, model_dir: dir, metrics: { ...e.metrics }, test_set_hash: e.test_set_hash };
}

function asGateInput(s: Side): EvaluatedModel {
  return { version: s.version, metrics: s.metrics as unknown as EvaluatedModel['metrics'], test_set_hash: s.test_set_hash };
}

/**
 * Evaluates the candidate and the current champion on the same test split (the champion re-evaluated on today's
 * data), each at the threshold it was calibrated with, applies the promotion gate, records McNemar's test, and
 * follows `deploy` or `skip_deploy`.
 */
export class CompareModelsOperator extends BaseOperator<CompareResult> {
  readonly #o: { project: Project; train: Task<TrainResult>; deployTaskId: string; skipTaskId: string; modelName?: string };

  constructor(o: TaskOptions & { project: Project; train: Task<TrainResult>; deployTaskId: string; skipTaskId: string }) {
    super(o);
    this.#o = o;
  }

  async execute(ctx: TaskContext): Promise<CompareResult> {
    const { project, train, deployTaskId, skipTaskId } = this.#o;
    const trained = ctx.xcomPull(train);
    if (!trained) throw new Error(`no candidate: task '${train.taskId}' pushed no result`);
    const params = await runParams(project, ctx.params);
    const evalOpts = {
      dataDir: path.resolve(project.root, params.data.dir),
      split: params.data.test_split,
      workDir: outputDir(ctx.home, ctx.dagId, ctx.runId, ctx.taskId),
      cwd: project.root,
      logger: ctx.logger,
      signal: ctx.signal,
    };
    // Training already scored the candidate on this split; only the champion needs a fresh look at today's data.
    const candidateEval =
      (await evaluationFromTraining(trained.model_dir, evalOpts.split)) ?? (await evaluateInChild(trained.model_dir, { ...evalOpts, name: 'candidate' }));
    const candidate = side(null, trained.model_dir, candidateEval);

    const registry = openRegistry({ root: registryRoot(ctx.home), name: params.pipeline.model_name, logger: ctx.logger });
    const current = await registry.champion();
    let champion: Side | null = null;
    let paired: McNemarResult | null = null;
    if (current) {
      const championEval = await evaluateInChild(current.dir, { ...evalOpts, name: `champion-v${current.version}` });
      champion = side(current.version, current.dir, championEval);
      const cand = correctness(candidateEval);
      const champ = correctness(championEval);
      const shared = [...cand.keys()].filter((k) => champ.has(k)).sort();
      paired = mcnemar(shared.map((k) => champ.get(k)!), shared.map((k) => cand.get(k)!));
    }

    const decision = decide(asGateInput(candidate), champion && asGateInput(champion), params.gate);
    const next = decision.promote ? deployTaskId : skipTaskId;
    ctx.skip([decision.promote ? skipTaskId : deployTaskId]);
    ctx.logger.info({ promote: decision.promote, checks: decision.checks, mcnemar: paired }, decision.reason);
    return { promote: decision.promote, reason: decision.reason, checks: decision.checks, candidate, champion, mcnemar: paired, next_task: next };
  }
}
