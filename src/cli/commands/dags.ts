import { DAG_COLUMNS, RUN_COLUMNS, printOne, rowsOf } from '../columns.js';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { withEngine } from '../engine.js';
import { RunFailedError, UsageError } from '../errors.js';
import { printOutcome, progressFor } from '../follow.js';
import type { OutputFormat } from '../output.js';
import { parseConf, parseDate, positiveInt } from '../parse.js';
import { outputOption, type CommandModule } from '../program.js';
import { createProgress } from '../progress.js';
import { defineListRuns } from './runs.js';
import { defineTrigger } from './trigger.js';

interface Out {
  output: OutputFormat;
}

function listCommands(root: ReturnType<typeof topCommand>, ctx: () => CliContext): void {
  root
    .command('list')
    .description('List the DAGs in the DAG bag (files that failed to load: dags list-import-errors)')
    .addOption(outputOption())
    .action(async (o: Out) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        c.out.rows(rowsOf(engine.listDags()), o.output, DAG_COLUMNS);
        const broken = engine.importErrors().length;
        if (broken > 0) c.err.line(`warning: ${broken} DAG file(s) failed to load; see: dagctl dags list-import-errors`);
      });
    });

  defineListRuns(root.command('list-runs').description('List the runs of a DAG, newest first'), ctx, true);

  root
    .command('list-import-errors')
    .description('List DAG files that failed to load, with the reason')
    .addOption(outputOption())
    .action(async (o: Out) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        const errors = engine.importErrors();
        if (o.output === 'json' || o.output === 'yaml') return c.out.rows(rowsOf(errors), o.output);
        // A table shows what went wrong; the stack (json/yaml) is for when that is not enough.
        const rows = errors.map((e) => ({ filename: e.filename, error: e.stack_trace.split('\n')[0], timestamp: e.timestamp }));
        c.out.rows(rows, o.output, ['filename', 'error', 'timestamp']);
      });
    });
}

function graphCommands(root: ReturnType<typeof topCommand>, ctx: () => CliContext): void {
  root
    .command('show')
    .description('Print the task graph of a DAG (text, or Graphviz DOT with --dot)')
    .argument('<dag_id>')
    .option('--dot', 'Graphviz DOT (pipe into `dot -Tsvg`)')
    .action(async (dagId: string, o: { dot?: boolean }) => {
      const c = ctx();
      await withEngine(c, (engine) => c.out.line(engine.showDag(dagId, o.dot ? 'dot' : 'text').trimEnd()));
    });

  for (const [verb, paused] of [['pause', true], ['unpause', false]] as const) {
    root
      .command(verb)
      .description(paused ? 'Pause a DAG: the scheduler creates no new runs for it' : 'Unpause a DAG: the scheduler creates its runs again')
      .argument('<dag_id>')
      .addOption(outputOption())
      .action(async (dagId: string, o: Out) => {
        const c = ctx();
        await withEngine(c, (engine) => printOne(c, engine.setPaused(dagId, paused), o.output, ['dag_id', 'is_paused']));
      });
  }

  root
    .command('next-execution')
    .description('Print the logical dates of the next scheduled runs')
    .argument('<dag_id>')
    .option('-n, --num-executions <n>', 'how many', positiveInt, 1)
    .action(async (dagId: string, o: { numExecutions: number }) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        const dag = engine.listDags().find((d) => d.dag_id === dagId);
        const dates = engine.nextExecution(dagId, o.numExecutions);
        if (dag?.is_paused) c.err.line('note: this DAG is paused; no runs are created until `dagctl dags unpause` is run');
        if (dates.length === 0) c.out.line('None');
        for (const d of dates) c.out.line(d.toISOString());
      });
    });
}

function runCommands(root: ReturnType<typeof topCommand>, ctx: () => CliContext): void {
  defineTrigger(root.command('trigger'), ctx);

  root
    .command('state')
    .description('Print the state of the run with this logical date')
    .argument('<dag_id>')
    .argument('<logical_date>', 'ISO 8601 (UTC when no zone is given)')
    .action(async (dagId: string, date: string) => {
      const when = parseDate(date, 'logical date');
      const c = ctx();
      await withEngine(c, (engine) => c.out.line(engine.dagRunState(dagId, when) ?? 'None'));
    });

  root
    .command('test')
    .description('Run a DAG once in this process against a temporary database (nothing is stored in DAGCTL_HOME)')
    .argument('<dag_id>')
    .argument('[logical_date]', 'ISO 8601 (default now)')
    .option('-c, --conf <json>', 'JSON object merged over the params')
    .addOption(outputOption())
    .action(async (dagId: string, date: string | undefined, o: Out & { conf?: string }) => {
      const conf = parseConf(o.conf);
      const when = date === undefined ? undefined : parseDate(date, 'logical date');
      const c = ctx();
      await withEngine(c, async (engine) => {
        const progress = progressFor(c, engine, dagId);
        let result;
        try {
          result = await engine.testDag(dagId, when, conf, { onEvent: (e) => progress.onEvent(e) });
        } finally {
          progress.finish();
        }
        printOutcome(c, result.run, result.tasks, o.output, engine.listTasks(dagId).map((t) => t.task_id));
      });
    });

  root
    .command('backfill')
    .description('Create and run, in this process, one run per schedule interval between two dates')
    .argument('<dag_id>')
    .requiredOption('-s, --start-date <date>', 'first logical date (ISO 8601)')
    .requiredOption('-e, --end-date <date>', 'last logical date (ISO 8601, inclusive)')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out & { startDate: string; endDate: string }) => {
      const start = parseDate(o.startDate, 'start date (-s)');
      const end = parseDate(o.endDate, 'end date (-e)');
      if (end < start) throw new UsageError('the end date is before the start date', 'swap -s and -e');
      const c = ctx();
      await withEngine(c, async (engine) => {
        engine.getDag(dagId);
        const progress = createProgress({ write: (t) => c.err.write(t), interactive: false, prefixRun: true });
        const runs = await engine.backfill(dagId, start, end, { onEvent: (e) => progress.onEvent(e) });
        progress.finish();
        c.out.rows(rowsOf(runs), o.output, RUN_COLUMNS);
        const failed = runs.find((r) => r.state === 'failed');
        if (failed) throw new RunFailedError(dagId, failed.dag_run_id);
      });
    });
}

const dags: CommandModule = (ctx) => {
  const root = topCommand('dags', ctx).description('Manage and run DAGs');
  listCommands(root, ctx);
  graphCommands(root, ctx);
  runCommands(root, ctx);
  return root;
};
export default dags;
