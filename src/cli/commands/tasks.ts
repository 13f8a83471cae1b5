import { TASK_COLUMNS, TI_COLUMNS, rowsOf } from '../columns.js';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { resolveRun, withEngine } from '../engine.js';
import { CliError, UsageError } from '../errors.js';
import type { OutputFormat } from '../output.js';
import { looksLikeDate, parseConf, parseDate, positiveInt } from '../parse.js';
import { outputOption, type CommandModule } from '../program.js';

interface Out {
  output: OutputFormat;
}

const RUN_ARG = ['<execution_date_or_run_id>', 'a run id (manual__…) or the logical date of a run'] as const;
const MAP_INDEX = ['--map-index <n>', 'which instance of a mapped task (default -1: an unmapped task)'] as const;
const mapIndex = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < -1) throw new UsageError(`--map-index must be a whole number >= -1, got '${v}'`);
  return n;
};

function inspectCommands(root: ReturnType<typeof topCommand>, ctx: () => CliContext): void {
  root
    .command('list')
    .description("List a DAG's tasks in topological order")
    .argument('<dag_id>')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out) => {
      const c = ctx();
      await withEngine(c, (engine) => c.out.rows(rowsOf(engine.listTasks(dagId)), o.output, TASK_COLUMNS));
    });

  root
    .command('states-for-dag-run')
    .description('The state of every task instance of a run')
    .argument('<dag_id>')
    .argument(...RUN_ARG)
    .addOption(outputOption())
    .action(async (dagId: string, runRef: string, o: Out) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        const run = resolveRun(engine, dagId, runRef);
        c.out.rows(rowsOf(engine.taskInstances(dagId, run.dag_run_id)), o.output, TI_COLUMNS);
      });
    });

  root
    .command('state')
    .description('Print the state of one task instance')
    .argument('<dag_id>')
    .argument('<task_id>')
    .argument(...RUN_ARG)
    .option(...MAP_INDEX, mapIndex)
    .action(async (dagId: string, taskId: string, runRef: string, o: { mapIndex?: number }) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        const run = resolveRun(engine, dagId, runRef);
        c.out.line(engine.taskInstance(dagId, run.dag_run_id, taskId, o.mapIndex).state ?? 'None');
      });
    });

  root
    .command('failed-deps')
    .description('Explain why a task instance is not running (the dependencies it still waits for)')
    .argument('<dag_id>')
    .argument('<task_id>')
    .argument(...RUN_ARG)
    .option(...MAP_INDEX, mapIndex)
    .action(async (dagId: string, taskId: string, runRef: string, o: { mapIndex?: number }) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        const run = resolveRun(engine, dagId, runRef);
        const reasons = engine.failedDeps(dagId, run.dag_run_id, taskId, o.mapIndex);
        if (reasons.length === 0) {
          c.out.line('Task instance dependencies are all met.');
          return;
        }
        c.out.line('Task instance dependencies not met:');
        for (const r of reasons) c.out.line(`  - ${r}`);
      });
    });

  root
    .command('logs')
    .description('Print the log of a task attempt (the latest try unless --try is given)')
    .argument('<dag_id>')
    .argument('<run_id>', 'a run id, or the logical date of a run')
    .argument('<task_id>')
    .option('--try <n>', 'try number', positiveInt)
    .option(...MAP_INDEX, mapIndex)
    .action(async (dagId: string, runRef: string, taskId: string, o: { try?: number; mapIndex?: number }) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        const run = resolveRun(engine, dagId, runRef);
        c.out.write(engine.taskLog(dagId, run.dag_run_id, taskId, o.try, o.mapIndex));
      });
    });
}

function actionCommands(root: ReturnType<typeof topCommand>, ctx: () => CliContext): void {
  root
    .command('test')
    .description('Run one task in this process, ignoring its dependencies; nothing is stored')
    .argument('<dag_id>')
    .argument('<task_id>')
    .argument('[execution_date_or_run_id]', 'logical date (default now) or an existing run id')
    .option('-t, --task-params <json>', 'JSON object merged over the params')
    .option(...MAP_INDEX, mapIndex)
    .action(async (dagId: string, taskId: string, runRef: string | undefined, o: { taskParams?: string; mapIndex?: number }) => {
      const params = parseConf(o.taskParams);
      const c = ctx();
      await withEngine(c, async (engine) => {
        let when: Date | undefined;
        if (runRef !== undefined) when = looksLikeDate(runRef) ? parseDate(runRef, 'logical date') : new Date(resolveRun(engine, dagId, runRef).logical_date);
        const result = await engine.testTask(dagId, taskId, when, params, o.mapIndex);
        if (result.log) c.err.write(result.log.endsWith('\n') ? result.log : `${result.log}\n`);
        c.out.line(`state: ${result.state}`);
        if (result.returnValue !== undefined) c.out.line(`return_value: ${JSON.stringify(result.returnValue)}`);
        if (result.state !== 'success' && result.state !== 'skipped') {
          throw new CliError(`task ${taskId} of ${dagId} ended ${result.state}`, 'its log is printed above (stderr)', 'task_failed');
        }
      });
    });

  root
    .command('clear')
    .description('Clear task instances so the scheduler runs them again (state -> none, XComs removed)')
    .argument('<dag_id>')
    .option('-t, --task-regex <regex>', 'only tasks whose id matches this regular expression')
    .option('-u, --upstream', 'also clear their upstream tasks')
    .option('-d, --downstream', 'also clear their downstream tasks')
    .option('-f, --only-failed', 'only failed and upstream_failed task instances')
    .option('-s, --start-date <date>', 'only runs with a logical date on or after this')
    .option('-e, --end-date <date>', 'only runs with a logical date on or before this')
    .option('--run-id <run_id>', 'only this run')
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(outputOption())
    .addHelpText('after', '\nExamples:\n  dagctl tasks clear example_trigger_rules -f -y\n  dagctl tasks clear example_bash_chain -t "^b$" -d -s 2026-01-01 -y')
    .action(async (dagId: string, o: Out & { taskRegex?: string; upstream?: boolean; downstream?: boolean; onlyFailed?: boolean; startDate?: string; endDate?: string; runId?: string; yes?: boolean }) => {
      if (o.taskRegex !== undefined) {
        try {
          new RegExp(o.taskRegex);
        } catch (cause) {
          throw Object.assign(new UsageError(`--task-regex "${o.taskRegex}" is not a valid regular expression`, 'e.g. -t "^train$" or -t "deploy|notify"'), { cause });
        }
      }
      const query = {
        taskRegex: o.taskRegex,
        upstream: o.upstream,
        downstream: o.downstream,
        onlyFailed: o.onlyFailed,
        runId: o.runId,
        start: o.startDate === undefined ? undefined : parseDate(o.startDate, 'start date (-s)'),
        end: o.endDate === undefined ? undefined : parseDate(o.endDate, 'end date (-e)'),
      };
      const c = ctx();
      await withEngine(c, async (engine) => {
        const planned = engine.clearTaskInstances(dagId, { ...query, dryRun: true });
        if (planned.length === 0) {
          c.out.line('No task instances to clear.');
          return;
        }
        if (!o.yes) {
          c.err.line(`These ${planned.length} task instance(s) will be cleared:`);
          c.err.write(`${planned.map((ti) => `  ${ti.dag_run_id}  ${ti.task_id}  (${ti.state ?? 'None'})`).join('\n')}\n`);
          if (!c.confirm) throw new UsageError('tasks clear needs confirmation and there is no terminal to ask on', 'add -y to clear without asking');
          if (!(await c.confirm('Clear them?'))) {
            c.err.line('Nothing cleared.');
            return;
          }
        }
        const cleared = engine.clearTaskInstances(dagId, query);
        c.out.rows(rowsOf(cleared), o.output, ['dag_run_id', 'task_id', 'state', 'try_number', 'max_tries']);
        c.err.line(`Cleared ${cleared.length} task instance(s).`);
      });
    });
}

const tasks: CommandModule = (ctx) => {
  const root = topCommand('tasks', ctx).description('Inspect, test and clear task instances');
  inspectCommands(root, ctx);
  actionCommands(root, ctx);
  return root;
};
export default tasks;
