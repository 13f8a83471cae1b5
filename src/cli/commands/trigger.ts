import type { Command } from 'commander';
import { RUN_COLUMNS, printOne } from '../columns.js';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { withEngine } from '../engine.js';
import { followRun } from '../follow.js';
import type { OutputFormat } from '../output.js';
import { parseConf, parseDate } from '../parse.js';
import { outputOption, type CommandModule } from '../program.js';
import { stopOnSignals } from '../signals.js';

interface TriggerOptions {
  conf?: string;
  execDate?: string;
  runId?: string;
  wait?: boolean;
  output: OutputFormat;
}

/** Adds the arguments and action of `dags trigger` (also the top-level `dagctl trigger`) to `cmd`. */
export function defineTrigger(cmd: Command, ctx: () => CliContext): Command {
  return cmd
    .description('Queue a manual DAG run (with --wait: follow it to the end; runs it here if no scheduler is alive)')
    .argument('<dag_id>', 'the DAG to run')
    .option('-c, --conf <json>', `JSON object merged over the DAG's params, e.g. '{"epochs": 3}'`)
    .option('-e, --exec-date <logical_date>', 'logical date, ISO 8601 (UTC when no zone is given; default now)')
    .option('-r, --run-id <run_id>', 'run id (default manual__<logical date>)')
    .option('-w, --wait', 'follow the run with live task states, print a summary, exit 1 if it failed')
    .addOption(outputOption())
    .addHelpText('after', `\nExamples:\n  dagctl trigger example_bash_chain --wait\n  dagctl trigger example_xcom -c '{"n": 5}' -e 2026-01-01`)
    .action(async (dagId: string, o: TriggerOptions) => {
      const conf = parseConf(o.conf);
      const logicalDate = o.execDate === undefined ? undefined : parseDate(o.execDate, 'logical date (-e)');
      const c = ctx();
      await withEngine(c, async (engine) => {
        const run = engine.triggerDagRun(dagId, { conf, logicalDate, runId: o.runId });
        if (!o.wait) {
          printOne(c, run, o.output, RUN_COLUMNS);
          return;
        }
        c.err.line(`queued ${run.dag_run_id} of ${dagId}`);
        const stop = stopOnSignals();
        try {
          await followRun(c, engine, run, o.output, stop.signal);
        } finally {
          stop.dispose();
        }
      });
    });
}

const trigger: CommandModule = (ctx) => defineTrigger(topCommand('trigger', ctx), ctx);
export default trigger;
