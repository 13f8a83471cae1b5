import { existsSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Option } from 'commander';
import { pino } from 'pino';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import type { CommandModule } from '../program.js';
import { loadParams } from '../../params/index.js';
import { BACKEND_NAMES } from '../../training/backends/types.js';
import type { TrainProgress } from '../../training/index.js';
import { resolveModelDir } from './evaluate.js';

interface TrainFlags {
  params?: string;
  set: string[];
  out: string;
  backend?: string;
  initFrom?: string;
  resume?: boolean;
}

/**
 * The folder model.init = champion continues from: --init-from when given (the pipeline passes the champion it
 * read), else the registry's champion under DAGCTL_HOME, else null (there is none yet: train from scratch).
 */
async function championDir(o: TrainFlags, c: CliContext, modelName: string): Promise<string | null> {
  if (o.initFrom) return resolveModelDir(o.initFrom, c);
  const { openRegistry } = await import('../../registry/index.js');
  const champion = await openRegistry({ root: path.join(c.config.home, 'registry'), name: modelName, logger: c.logger }).champion();
  return champion?.dir ?? null;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** A terminal gets a cli-progress bar per epoch (on stderr); the JSON lines then go to the stderr log only. */
function progressBar(c: CliContext): { onProgress: (p: TrainProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    { format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} steps | loss {loss} | {ips} img/s | ETA {eta_formatted}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let epoch = 0;
  return {
    onProgress: (p) => {
      if (p.kind === 'step') {
        if (p.epoch !== epoch) {
          if (epoch !== 0) bar.stop();
          epoch = p.epoch;
          bar.start(p.steps, 0, { epoch: p.epoch, epochs: p.epochs, loss: '-', ips: '-' });
        }
        bar.update(p.step, { loss: p.loss.toFixed(4), ips: p.images_per_s.toFixed(1) });
      } else {
        bar.stop();
        epoch = 0;
        const auc = p.val_auc === null ? '-' : p.val_auc.toFixed(4);
        c.err.line(`epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}, val_loss ${p.val_loss.toFixed(4)}, val_acc ${p.val_accuracy.toFixed(4)}, val_auc ${auc}${p.best ? ' (best)' : ''}`);
      }
    },
    stop: () => bar.stop(),
  };
}

const trainCommand: CommandModule = (ctx) =>
  topCommand('train', ctx)
    .description('Train the ResNet18 pneumonia classifier per params.yaml, evaluate it on the test split, write the model folder')
    .option('--params <file>', 'params file (default: ./params.yaml when present, else built-in defaults)')
    .option('--set <key=value>', 'override a param, e.g. --set train.epochs=2 (repeatable)', collect, [])
    .option('--out <dir>', 'model folder to write (replaced atomically)', 'models/resnet18')
    .addOption(new Option('--backend <name>', 'TF.js backend (overrides train.backend)').choices(['auto', ...BACKEND_NAMES]))
    .option('--init-from <ref>', 'with model.init=champion: what to continue (a model folder, champion or a version; default: the registry\'s champion, if any)')
    .option('--resume', 'carry on from the checkpoint of an interrupted run with the same --out and params')
    .action(async (o: TrainFlags) => {
      const c = ctx();
      const file = o.params ? path.resolve(c.cwd, o.params) : existsSync(path.join(c.cwd, 'params.yaml')) ? path.join(c.cwd, 'params.yaml') : null;
      const params = await loadParams(file, [...o.set, ...(o.backend ? [`train.backend=${o.backend}`] : [])]);
      // Not a terminal: JSON lines on stdout for a parent process (the pipeline's task log); last is train.done.
      const logger = c.interactive ? c.logger : pino({ level: 'info', base: undefined }, { write: (s: string) => c.out.write(s) });
      const bar = c.interactive ? progressBar(c) : null;
      // Loaded on use: tfjs and sharp would otherwise slow every dagctl command's start.
      const { initBackend, releaseBackend, train } = await import('../../training/index.js');
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const backend = await initBackend(params.train.backend, logger);
        const champion = params.model.init === 'champion' ? await championDir(o, c, params.pipeline.model_name) : null;
        const result = await train(params, {
          outDir: path.resolve(c.cwd, o.out), logger, signal: abort.signal, cwd: c.cwd, backend, championDir: champion, resume: o.resume === true, // prettier-ignore
          ...(bar ? { onProgress: bar.onProgress } : {}),
        });
        if (c.interactive) {
          const m = result.metrics;
          const meta = result.metadata;
          c.out.line(`model written to ${result.outDir} (backend ${meta.backend.name}, ${meta.backend.threads} thread(s), ${meta.training_time_s.toFixed(1)}s, best epoch ${meta.best_epoch}/${meta.epochs_run})`);
          const init = meta.init ?? { mode: 'scratch', from: null };
          c.out.line(init.mode === 'scratch' ? 'trained from scratch (no champion to continue, no model.pretrained)' : init.mode === 'champion' ? `continued from the champion in ${init.from}` : `backbone initialised from ${init.from}`);
          const cal = meta.calibration;
          if (cal) c.out.line(`threshold ${cal.threshold.toFixed(4)} (${cal.rule}, chosen on ${cal.n} ${cal.split} images; cross-fitted there: accuracy ${cal.crossfit?.accuracy.toFixed(4) ?? '-'}, sensitivity ${cal.crossfit?.sensitivity.toFixed(4) ?? '-'}, specificity ${cal.crossfit?.specificity.toFixed(4) ?? '-'}; ECE ${cal.ece.toFixed(4)})`);
          if (meta.skipped_files.length > 0) c.out.line(`skipped ${meta.skipped_files.length} unreadable file(s): see skipped_files in metadata.json`);
          if (m) c.out.line(`${meta.evaluated_on}: accuracy ${m.accuracy.toFixed(4)}, auc ${m.auc?.toFixed(4) ?? '-'}, recall ${m.recall.toFixed(4)}, specificity ${m.specificity.toFixed(4)}, n ${m.n}`);
        }
      } finally {
        bar?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        releaseBackend();
      }
    });

export default trainCommand;
