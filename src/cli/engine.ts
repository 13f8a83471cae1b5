import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DagRunRow, Engine, EngineOptions } from '../engine/service.js';
import type { Config } from './config.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { looksLikeDate, parseDate } from './parse.js';

/** Airflow-style example DAGs shipped with the code (loaded unless DAGCTL_LOAD_EXAMPLES=false). */
export const EXAMPLES_FOLDER = fileURLToPath(new URL('../dags/examples', import.meta.url));

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Which folders the DAG bag scans. The examples live inside the default dags folder (src/dags/examples),
 * so they are listed on their own only when the dags folder is elsewhere. `excluded` is what must not be
 * loaded: the nested examples folder when DAGCTL_LOAD_EXAMPLES=false.
 */
export function dagFolders(config: Config): { dagsFolders: string[]; excluded: string[] } {
  const nested = inside(EXAMPLES_FOLDER, config.dagsFolder);
  if (config.loadExamples) return { dagsFolders: nested ? [config.dagsFolder] : [config.dagsFolder, EXAMPLES_FOLDER], excluded: [] };
  return { dagsFolders: [config.dagsFolder], excluded: nested ? [EXAMPLES_FOLDER] : [] };
}

export function engineOptions(ctx: CliContext): EngineOptions {
  const { dagsFolders, excluded } = dagFolders(ctx.config);
  return {
    home: ctx.config.home,
    dagsFolders,
    excludeFolders: excluded,
    parallelism: ctx.config.parallelism,
    heartbeatS: ctx.config.heartbeatS,
    zombieThresholdS: ctx.config.zombieThresholdS,
    schedulerHealthCheckS: ctx.config.schedulerHealthCheckS,
    executor: ctx.config.executor,
    logger: ctx.logger,
  };
}

/** Opens the engine for one command and always closes it (workers, database) afterwards. */
export async function withEngine<T>(ctx: CliContext, fn: (engine: Engine) => Promise<T> | T): Promise<T> {
  // Loaded on first use: `--help` and commands that need no engine start without it (SQLite, DAG loader).
  const { openEngine } = await import('../engine/service.js');
  const engine = await openEngine(engineOptions(ctx));
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/**
 * Airflow's `execution_date_or_run_id`: a run id is looked up as is; a date finds the run with that
 * logical date.
 */
export function resolveRun(engine: Engine, dagId: string, dateOrRunId: string): DagRunRow {
  if (!looksLikeDate(dateOrRunId)) return engine.getDagRun(dagId, dateOrRunId);
  const when = parseDate(dateOrRunId, 'logical date').getTime();
  engine.getDag(dagId); // unknown DAG -> DagNotFoundError with the list of known ids
  const run = engine.listDagRuns({ dagId }).find((r) => r.logical_date !== null && new Date(r.logical_date).getTime() === when);
  if (!run) {
    throw new CliError(
      `no run of ${dagId} has logical date ${new Date(when).toISOString()}`,
      `list its runs with: dagctl runs list -d ${dagId}`,
      'dag_run_not_found',
    );
  }
  return run;
}
