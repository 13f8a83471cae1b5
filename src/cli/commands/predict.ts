import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option } from 'commander';
import { topCommand } from '../command.js';
import type { OutputFormat } from '../output.js';
import { outputOption, type CommandModule } from '../program.js';
import { BACKEND_NAMES, type BackendName } from '../../training/backends/types.js';
import { resolveModelDir } from './evaluate.js';

interface PredictFlags {
  model: string;
  output: OutputFormat;
  backend: BackendName | 'auto';
}

const predictCommand: CommandModule = (ctx) =>
  topCommand('predict', ctx)
    .description('Classify chest X-ray images (NORMAL / PNEUMONIA) with a trained model folder')
    .argument('<images...>', 'JPEG or PNG files')
    .requiredOption('--model <ref>', 'champion, a registered version number, or a model folder written by `dagctl train`')
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(['auto', ...BACKEND_NAMES]).default('auto'))
    .addOption(outputOption())
    .action(async (images: string[], o: PredictFlags) => {
      const c = ctx();
      const dir = await resolveModelDir(o.model, c);
      const buffers = await Promise.all(images.map((f) => readFile(path.resolve(c.cwd, f))));
      // Loaded on use: tfjs and sharp would otherwise slow every dagctl command's start.
      const { initBackend, loadModel, modelThreshold, predict, releaseBackend } = await import('../../training/index.js');
      await initBackend(o.backend, c.logger);
      try {
        const loaded = await loadModel(dir);
        const started = performance.now();
        const preds = await predict(loaded, buffers);
        const threshold = modelThreshold(loaded.metadata);
        c.logger.info({ images: images.length, ms: performance.now() - started }, 'predict.done');
        loaded.model.dispose();
        const rows = preds.map((p, i) => ({
          file: images[i],
          label: p.label,
          probability: Number(p.probability.toFixed(4)),
          p_pneumonia: Number(p.probabilities.PNEUMONIA.toFixed(4)),
          threshold: Number(threshold.toFixed(4)),
        }));
        c.out.rows(rows, o.output, ['file', 'label', 'probability', 'p_pneumonia', 'threshold']);
      } finally {
        releaseBackend();
      }
    });

export default predictCommand;
