import { execa } from 'execa';
import { BaseOperator, type TaskContext, type TaskOptions } from '../engine/index.js';
import { dataVersion, dvcCliAvailable, pull } from '../dvc/index.js';
import type { Project } from './ml/project.js';

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
    let tool: DvcPullResult['tool'];
    let summary: string;
    if (await dvcCliAvailable()) {
      tool = 'dvc';
      const r = await execa('dvc', ['pull', dvcFile], { cwd: root, cancelSignal: ctx.signal, all: true });
      for (const line of r.all.split('\n')) if (line.trim()) ctx.logger.info({ tool }, line);
      summary = r.all.trim().split('\n').at(-1) ?? '';
    } else {
      tool = 'built-in';
      const r = await pull({ repoRoot: root, logger: ctx.logger, targets: [dvcFile], signal: ctx.signal });
      for (const line of r.lines) ctx.logger.info({ tool }, line);
      summary = r.summary;
    }
    ctx.logger.info({ tool, summary }, summary);
    return { tool, summary, data_version: await dataVersion(dvcFile) };
  }
}
