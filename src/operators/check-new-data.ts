import { execa } from 'execa';
import { BaseOperator, type TaskContext, type TaskOptions } from '../engine/index.js';
import { dataVersion } from '../dvc/index.js';
import { openRegistry } from '../registry/index.js';
import { registryRoot, runParams, type Project } from './ml/project.js';

export type CheckNewDataResult = {
  proceed: boolean;
  reason: string;
  data_version: string;
  champion_version: number | null;
  champion_data_version: string | null;
};

function descendants(task: BaseOperator): BaseOperator[] {
  const seen = new Set<BaseOperator>();
  const visit = (t: BaseOperator): void => {
    for (const d of t.downstream) if (!seen.has(d)) (seen.add(d), visit(d));
  };
  visit(task);
  return [...seen];
}

/**
 * Short-circuit: compares the data version in the DVC pointer (after an optional `git pull`) with the one the
 * champion was trained on. Unchanged → every downstream task is skipped and the run succeeds (Airflow's
 * ShortCircuitOperator with ignore_downstream_trigger_rules). No champion yet, or `{"force": true}` → proceed.
 */
export class CheckNewDataOperator extends BaseOperator<CheckNewDataResult> {
  readonly #project: Project;

  constructor(o: TaskOptions & { project: Project }) {
    super(o);
    this.#project = o.project;
  }

  async execute(ctx: TaskContext): Promise<CheckNewDataResult> {
    const params = await runParams(this.#project, ctx.params);
    if (params.pipeline.git_pull) {
      const r = await execa('git', ['pull', '--ff-only'], { cwd: this.#project.root, cancelSignal: ctx.signal, all: true });
      ctx.logger.info({ git: r.all.trim() }, 'git pull');
    }
    const version = await dataVersion(this.#project.dvcFile);
    const champion = await openRegistry({ root: registryRoot(ctx.home), name: params.pipeline.model_name, logger: ctx.logger }).champion();
    const base = { data_version: version, champion_version: champion?.version ?? null, champion_data_version: champion?.data_version ?? null };
    const [proceed, reason] =
      ctx.params.force === true
        ? [true, 'forced by the trigger conf ({"force": true})']
        : !champion
          ? [true, 'no champion yet']
          : champion.data_version !== version
            ? [true, `new data: ${version} (champion v${champion.version} was trained on ${champion.data_version ?? 'unknown data'})`]
            : [false, `no new data: champion v${champion.version} was trained on ${version}`];
    ctx.logger.info(base, reason);
    if (!proceed) ctx.skip(descendants(this));
    return { proceed, reason, ...base };
  }
}
