import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option } from 'commander';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import type { OutputFormat, Row } from '../output.js';
import { outputOption, type CommandModule } from '../program.js';
import { BACKEND_NAMES, type BackendName } from '../../training/backends/types.js';

interface EvaluateFlags {
  model: string;
  data: string;
  split: string;
  threshold?: string;
  output: OutputFormat;
  predictions?: string;
  metrics: string;
  backend: BackendName | 'auto';
}

/** What `--model` means, in one place: `champion` or a version number from the registry, or a model folder. */
export async function resolveModelDir(ref: string, c: CliContext): Promise<string> {
  if (ref === 'champion' || /^v?\d+$/.test(ref)) {
    const { openRegistry } = await import('../../registry/index.js');
    return (await openRegistry({ root: path.join(c.config.home, 'registry'), logger: c.logger }).resolve(ref)).dir;
  }
  const dir = path.resolve(c.cwd, ref);
  if (!existsSync(path.join(dir, 'model.json'))) {
    throw new UsageError(`--model ${ref}: no model.json in ${dir}`, 'pass a model folder written by `dagctl train` (e.g. --model models/resnet18)');
  }
  return dir;
}

const METRIC_KEYS = ['accuracy', 'precision', 'recall', 'specificity', 'f1', 'auc', 'ece', 'n', 'threshold'] as const;

const evaluateCommand: CommandModule = (ctx) =>
  topCommand('evaluate', ctx)
    .description('Evaluate a model folder on labelled images; print the metric table and write metrics.json (DVC format)')
    .requiredOption('--model <ref>', 'champion, a registered version number, or a model folder written by `dagctl train`')
    .requiredOption('--data <dir>', 'a folder with NORMAL/ and PNEUMONIA/, or a Kaggle-layout root (then --split picks the split)')
    .option('--split <name>', 'split of a Kaggle-layout root', 'test')
    .option('--threshold <p>', 'P(PNEUMONIA) at or above which PNEUMONIA is predicted (default: the threshold calibrated into the model folder)')
    .option('--predictions <file>', 'also write per-image predictions (JSON)')
    .option('--metrics <file>', 'where to write the flat metrics (DVC metrics format)', 'metrics.json')
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(['auto', ...BACKEND_NAMES]).default('auto'))
    .addOption(outputOption())
    .action(async (o: EvaluateFlags) => {
      const c = ctx();
      const threshold = o.threshold === undefined ? undefined : Number(o.threshold);
      if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new UsageError(`--threshold must be between 0 and 1 (got ${o.threshold})`, 'e.g. --threshold 0.5');
      const dir = await resolveModelDir(o.model, c);
      // Loaded on use: tfjs and sharp would otherwise slow every dagctl command's start.
      const { evaluate, flatMetrics, initBackend, loadModel, releaseBackend } = await import('../../training/index.js');
      await initBackend(o.backend, c.logger);
      try {
        const loaded = await loadModel(dir);
        const r = await evaluate(loaded, path.resolve(c.cwd, o.data), { split: o.split, logger: c.logger, ...(threshold !== undefined ? { threshold } : {}) });
        loaded.model.dispose();
        await writeFile(path.resolve(c.cwd, o.metrics), `${JSON.stringify(flatMetrics(r.metrics), null, 2)}\n`);
        if (o.predictions) await writeFile(path.resolve(c.cwd, o.predictions), `${JSON.stringify(r.predictions, null, 2)}\n`);
        const m = r.metrics;
        if (o.output === 'json' || o.output === 'yaml') {
          const { roc: _roc, ...rest } = m;
          c.out.object({ ...rest, test_set_hash: r.test_set_hash, skipped_files: r.skipped_files }, o.output);
          return;
        }
        const rows: Row[] = METRIC_KEYS.map((k) => ({ metric: k, value: typeof m[k] === 'number' ? Number((m[k] as number).toFixed(4)) : m[k] }));
        const [[tn, fp], [fn, tp]] = m.confusion_matrix;
        rows.push({ metric: 'confusion_matrix [[tn, fp], [fn, tp]]', value: `[[${tn}, ${fp}], [${fn}, ${tp}]]` });
        c.out.rows(rows, o.output, ['metric', 'value']);
        for (const f of r.skipped_files) c.err.line(`skipped ${f.path}: ${f.reason}`);
      } finally {
        releaseBackend();
      }
    });

export default evaluateCommand;
