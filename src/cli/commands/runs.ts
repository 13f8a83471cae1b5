import { Option, type Command } from 'commander';
import { DAG_RUN_STATES, type DagRunState } from '../../engine/states.js';
import { RUN_COLUMNS, rowsOf } from '../columns.js';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { withEngine } from '../engine.js';
import type { OutputFormat } from '../output.js';
import { positiveInt } from '../parse.js';
import { outputOption, type CommandModule } from '../program.js';

interface ListRunsOptions {
  dagId?: string;
  state?: DagRunState;
  limit?: number;
  output: OutputFormat;
}

/** `runs list` and its Airflow spelling `dags list-runs -d <dag_id>`: newest first. */
export function defineListRuns(cmd: Command, ctx: () => CliContext, dagRequired: boolean): Command {
  const dagOption = new Option('-d, --dag-id <dag_id>', 'only runs of this DAG');
  if (dagRequired) dagOption.makeOptionMandatory();
  return cmd
    .addOption(dagOption)
    .addOption(new Option('--state <state>', 'only runs in this state').choices(DAG_RUN_STATES))
    .option('--limit <n>', 'at most this many runs (newest first)', positiveInt)
    .addOption(outputOption())
    .action(async (o: ListRunsOptions) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        if (o.dagId !== undefined) engine.getDag(o.dagId); // an unknown id is an error, not an empty list
        const runs = engine.listDagRuns({ dagId: o.dagId, state: o.state, limit: o.limit });
        c.out.rows(rowsOf(runs), o.output, RUN_COLUMNS);
      });
    });
}

const runs: CommandModule = (ctx) => {
  const root = topCommand('runs', ctx).description('DAG runs across DAGs');
  defineListRuns(root.command('list').description('List DAG runs, newest first'), ctx, false).addHelpText(
    'after',
    '\nExamples:\n  dagctl runs list\n  dagctl runs list -d example_bash_chain --state failed -o json',
  );
  return root;
};
export default runs;
