import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BaseOperator, type TaskContext, type TaskOptions } from '../engine/index.js';
import { dataVersion, dvcCliAvailable, pull } from '../dvc/index.js';
import { runParams, type Project } from './ml/project.js';

export type DvcPullResult = {
  tool: 'dvc' | 'built-in';
  summary: string;
  data_version: string;
};

/**
 * `dvc pull`: the real DVC when it is on PATH, otherwise our DVC 3 compatible client. Either way a missing or
 * corrupt object or an unreachable remote fails the task (retries apply) and leaves the workspace as it was.
 */
export class DvcPullOperator extends BaseOperator<DvcPullResult> {
  readonly #project: Project;

  constructor(o: TaskOptions & { project: Project }) {
    super(o);
    this.#project = o.project;
  }

  async execute(ctx: TaskContext): Promise<DvcPullResult> {
    const { root, dvcFile } = this.#project;
    // The data, and the model the first training starts from when model.pretrained is a DVC-tracked folder
    // (models/production.dvc): a fresh clone has neither.
    const params = await runParams(this.#project, ctx.params);
    const pretrained = params.model.pretrained ? `${path.resolve(root, params.model.pretrained)}.dvc` : null;
    const targets = [dvcFile, ...(pretrained && params.model.init !== 'scratch' && existsSync(pretrained) ? [pretrained] : [])];
    let tool: DvcPullResult['tool'];
    let summary: string;
    if (await dvcCliAvailable()) {
      tool = 'dvc';
      const r = await execa('dvc', ['pull', ...targets], { cwd: root, cancelSignal: ctx.signal, all: true });
      for (const line of r.all.split('\n')) if (line.trim()) ctx.logger.info({ tool }, line);
      summary = r.all.trim().split('\n').at(-1) ?? '';
    } else {
      tool = 'built-in';
      const r = await pull({ repoRoot: root, logger: ctx.logger, targets, signal: ctx.signal });
      for (const line of r.lines) ctx.logger.info({ tool }, line);
      summary = r.summary;
    }
    ctx.logger.info({ tool, summary }, summary);
    return { tool, summary, data_version: await dataVersion(dvcFile) };
  }
}
