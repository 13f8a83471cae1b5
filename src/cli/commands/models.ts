import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import type { OutputFormat, Row } from '../output.js';
import { outputOption, type CommandModule } from '../program.js';
import { DEFAULT_MODEL_NAME, openRegistry, type ModelVersion, type Promotion, type Registry } from '../../registry/index.js';

/** The metrics people compare versions by, and the calibrated threshold they were measured at; the rest stay in `models show`. */
const KEY_METRICS = ['auc', 'accuracy', 'recall', 'specificity', 'threshold'] as const;
const LIST_COLUMNS = ['version', 'champion', 'created_at', 'promoted_at', ...KEY_METRICS, 'data_version'] as const;
const HISTORY_COLUMNS = ['promoted_at', 'action', 'version', 'previous_version', 'promoted_by', 'reason'] as const;

function registryOf(c: CliContext, model: string): Registry {
  return openRegistry({ root: path.join(c.config.home, 'registry'), name: model, logger: c.logger });
}

function versionArg(raw: string): number {
  const m = /^v?(\d+)$/.exec(raw.trim());
  if (!m || Number(m[1]) < 1) throw new InvalidArgumentError('expected a version number such as 3 (or v3)');
  return Number(m[1]);
}

/** Who is acting, for the promotion history: --by, else the OS user. */
function actor(c: CliContext, by: string | undefined): string {
  return by ?? `cli:${c.env.USER ?? c.env.USERNAME ?? os.userInfo().username}`;
}

function metric(v: ModelVersion, key: string): unknown {
  const value = v.metrics[key];
  return typeof value === 'number' ? Number(value.toFixed(4)) : (value ?? null);
}

function listRow(v: ModelVersion): Row {
  const row: Row = { version: v.version, champion: v.is_champion ? '*' : '', created_at: v.created_at, promoted_at: v.promoted_at };
  for (const k of KEY_METRICS) row[k] = metric(v, k);
  row.data_version = v.data_version;
  return row;
}

/** Table/plain get one line per field (metrics flattened); json/yaml get the record as is. */
function printVersion(c: CliContext, v: ModelVersion, format: OutputFormat): void {
  if (format === 'json' || format === 'yaml') {
    c.out.object({ ...v }, format);
    return;
  }
  const fields: Row[] = Object.entries(v)
    .filter(([k]) => k !== 'metrics' && k !== 'tags')
    .map(([field, value]) => ({ field, value }));
  for (const [k, value] of Object.entries(v.metrics)) fields.push({ field: `metrics.${k}`, value });
  for (const [k, value] of Object.entries(v.tags)) fields.push({ field: `tags.${k}`, value });
  c.out.rows(fields, format, ['field', 'value']);
}

function describe(p: Promotion, model: string): string {
  const from = p.previous_version === null ? 'no previous champion' : `was v${p.previous_version}`;
  return `${p.action === 'rollback' ? 'Rolled back' : 'Promoted'} ${model} v${p.version} to champion (${from}).`;
}

function withModel(cmd: Command): Command {
  return cmd.option('--model <name>', 'registered model name', DEFAULT_MODEL_NAME);
}

const modelsModule: CommandModule = (ctx) => {
  const root = topCommand('models', ctx).description('The model registry under <home>/registry: versions, the champion, promotions and rollbacks');

  withModel(root.command('list'))
    .description('List registered versions with the champion marked (*) and key test metrics')
    .addOption(outputOption())
    .action(async (o: { output: OutputFormat; model: string }) => {
      const c = ctx();
      c.out.rows((await registryOf(c, o.model).list()).map(listRow), o.output, LIST_COLUMNS);
    });

  withModel(root.command('show'))
    .description('Show one version: metrics, lineage (run, data version, MLflow run) and promotion state')
    .argument('<version>', "a version number, or 'champion'")
    .addOption(outputOption())
    .action(async (ref: string, o: { output: OutputFormat; model: string }) => {
      const c = ctx();
      const reg = registryOf(c, o.model);
      const resolved = ref === 'champion' ? await reg.resolve('champion') : { version: versionArg(ref) };
      printVersion(c, await reg.get(resolved.version ?? 0), o.output);
    });

  withModel(root.command('promote'))
    .description('Make a version the champion (atomic; serving picks it up without a restart)')
    .argument('<version>', 'version number', versionArg)
    .option('--reason <text>', 'why, for the promotion history', 'manual promotion')
    .option('--by <who>', 'who, for the promotion history (default: cli:<os user>)')
    .action(async (version: number, o: { reason: string; by?: string; model: string }) => {
      const c = ctx();
      const p = await registryOf(c, o.model).promote(version, { by: actor(c, o.by), reason: o.reason });
      c.out.line(describe(p, o.model));
    });

  withModel(root.command('rollback'))
    .description('Make the previous champion the champion again')
    .option('--reason <text>', 'why, for the promotion history', 'manual rollback')
    .option('--by <who>', 'who, for the promotion history (default: cli:<os user>)')
    .action(async (o: { reason: string; by?: string; model: string }) => {
      const c = ctx();
      const p = await registryOf(c, o.model).rollback({ by: actor(c, o.by), reason: o.reason });
      c.out.line(describe(p, o.model));
    });

  withModel(root.command('history'))
    .description('Promotions and rollbacks, oldest first: who, when and why')
    .addOption(outputOption())
    .action(async (o: { output: OutputFormat; model: string }) => {
      const c = ctx();
      c.out.rows((await registryOf(c, o.model).history()).map((p) => ({ ...p }) as Row), o.output, HISTORY_COLUMNS);
    });

  return root;
};

export default modelsModule;
