import path from 'node:path';
import { topCommand } from '../command.js';
import { UsageError } from '../errors.js';
import type { CommandModule } from '../program.js';
import { resolveModelDir } from './evaluate.js';

/** `dagctl quantize --model DIR --out DIR`: a float16 copy of a model folder, written atomically. */
const quantizeCommand: CommandModule = (ctx) =>
  topCommand('quantize', ctx)
    .description('Write a copy of a model folder with float16 weights (half the size; TF.js dequantises on load)')
    .requiredOption('--model <ref>', 'champion, a registered version number, or a model folder written by `dagctl train`')
    .requiredOption('--out <dir>', 'the folder to write (replaced atomically)')
    .action(async (o: { model: string; out: string }) => {
      const c = ctx();
      const from = await resolveModelDir(o.model, c);
      const out = path.resolve(c.cwd, o.out);
      if (out === from) throw new UsageError('--out is the model folder itself', 'write the float16 copy to another folder');
      const { writeFloat16Copy } = await import('../../training/index.js');
      const { before, after } = await writeFloat16Copy(from, out);
      c.out.line(`${out}: weights ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB (float16)`);
    });

export default quantizeCommand;
