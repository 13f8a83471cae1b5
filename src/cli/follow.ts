import type { DagRunRow, Engine, RunEvent, TaskInstanceRow } from '../engine/service.js';
import type { CliContext } from './context.js';
import { CliError, RunFailedError } from './errors.js';
import type { OutputFormat } from './output.js';
import { formatDuration } from './parse.js';
import { createProgress, summaryRows, SUMMARY_COLUMNS, type Progress } from './progress.js';

/** Live progress on stderr for a DAG's runs: lines on a pipe, a redrawn table on a terminal. */
export function progressFor(ctx: CliContext, engine: Engine, dagId: string): Progress {
  return createProgress({
    write: (t) => ctx.err.write(t),
    interactive: ctx.errInteractive,
    taskIds: engine.listTasks(dagId).map((t) => t.task_id),
  });
}

/** The DAG's topological order reads like the graph; ids the order does not know go last. */
function sortByOrder(tis: readonly TaskInstanceRow[], order: readonly string[]): TaskInstanceRow[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  return [...tis].sort((a, b) => (rank.get(a.task_id) ?? order.length) - (rank.get(b.task_id) ?? order.length));
}

function seconds(run: DagRunRow): number | null {
  if (!run.start_date || !run.end_date) return null;
  return (new Date(run.end_date).getTime() - new Date(run.start_date).getTime()) / 1000;
}

/**
 * Prints how a run ended: the task table (state, try, duration) and one line for the run in table/plain,
 * or the run row with its task instances in json/yaml. Throws RunFailedError when the run failed.
 */
export function printOutcome(ctx: CliContext, run: DagRunRow, unordered: readonly TaskInstanceRow[], format: OutputFormat, order: readonly string[] = []): void {
  const tis = sortByOrder(unordered, order);
  if (format === 'json' || format === 'yaml') {
    ctx.out.object({ ...run, task_instances: tis }, format);
  } else {
    ctx.out.rows(summaryRows(tis), format, SUMMARY_COLUMNS);
    ctx.out.line(`run ${run.dag_run_id} of ${run.dag_id}: ${run.state ?? 'None'} in ${formatDuration(seconds(run))}`);
  }
  if (run.state === 'failed') {
    throw new RunFailedError(run.dag_id, run.dag_run_id, tis.filter((ti) => ti.state === 'failed').map((ti) => ti.task_id));
  }
}

/** `--wait`: follows a run to its end (driving it here when no scheduler is alive), then prints the outcome. */
export async function followRun(ctx: CliContext, engine: Engine, run: DagRunRow, format: OutputFormat, signal?: AbortSignal): Promise<DagRunRow> {
  const progress = progressFor(ctx, engine, run.dag_id);
  if (!engine.schedulerAlive()) ctx.err.line(`no scheduler is running: running ${run.dag_run_id} in this process`);
  let final: DagRunRow;
  try {
    final = await engine.waitForRun(run.dag_id, run.dag_run_id, { onEvent: (e: RunEvent) => progress.onEvent(e), signal });
  } finally {
    progress.finish();
  }
  const order = engine.listTasks(final.dag_id).map((t) => t.task_id);
  const tis = engine.taskInstances(final.dag_id, final.dag_run_id);
  if (final.state !== 'success' && final.state !== 'failed') {
    // Ctrl-C / SIGTERM: the run is not over; say where it stands and how it gets finished.
    ctx.out.rows(summaryRows(sortByOrder(tis, order)), format === 'json' || format === 'yaml' ? 'table' : format, SUMMARY_COLUMNS);
    throw new CliError(
      `stopped following ${final.dag_run_id} of ${final.dag_id}; the run is still ${final.state}`,
      `start \`dagctl scheduler\` to finish it; check on it with \`dagctl tasks states-for-dag-run ${final.dag_id} ${final.dag_run_id}\``,
      'interrupted',
      130,
    );
  }
  printOutcome(ctx, final, tis, format, order);
  return final;
}
