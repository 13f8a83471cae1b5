import { Command, Option } from 'commander';
import { contextFrom, type CliContext, type CliIo } from './context.js';
import { OUTPUT_FORMATS } from './output.js';
import dags from './commands/dags.js';
import db from './commands/db.js';
import dvc from './commands/dvc.js';
import evaluate from './commands/evaluate.js';
import init from './commands/init.js';
import jobs from './commands/jobs.js';
import models from './commands/models.js';
import pools from './commands/pools.js';
import predict from './commands/predict.js';
import quantize from './commands/quantize.js';
import runs from './commands/runs.js';
import scheduler from './commands/scheduler.js';
import worker from './commands/worker.js';
import serve from './commands/serve.js';
import tasks from './commands/tasks.js';
import train from './commands/train.js';
import trigger from './commands/trigger.js';
import users from './commands/users.js';
import webserver from './commands/webserver.js';

/**
 * A command module: one file in ./commands that builds its commander commands.
 * `ctx()` resolves config and logger on first use, after global flags are parsed.
 */
export type CommandModule = (ctx: () => CliContext) => Command | Command[];

/** `-o/--output` as Airflow spells it; every listing command adds it. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table');
}

// One line per command module; keep this list sorted by file name.
const MODULES: CommandModule[] = [
  dags,
  db,
  dvc,
  evaluate,
  init,
  jobs,
  models,
  pools,
  predict,
  quantize,
  runs,
  scheduler,
  worker,
  serve,
  tasks,
  train,
  trigger,
  users,
  webserver,
];

export function buildProgram(io: CliIo): Command {
  const program = new Command('dagctl')
    .description('An Airflow-compatible DAG engine, and the continuous retraining pipeline that runs on it')
    .option('--dags-folder <dir>', 'folder to load DAG files from (env DAGCTL_DAGS_FOLDER, default src/dags)')
    .option('--home <dir>', 'state folder: database, logs, outputs (env DAGCTL_HOME, default ./runs)')
    .option('-v, --verbose', 'debug logs and stack traces on errors')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  let cached: CliContext | undefined;
  const ctx = (): CliContext => (cached ??= contextFrom(program, io));
  for (const module of MODULES) {
    const made = module(ctx);
    for (const cmd of Array.isArray(made) ? made : [made]) program.addCommand(cmd);
  }
  return program;
}
