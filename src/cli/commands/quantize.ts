import { cp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { topCommand } from '../command.js';
import { UsageError } from '../errors.js';
import type { CommandModule } from '../program.js';
import { resolveModelDir } from './evaluate.js';

/** `dagctl quantize --model DIR --out DIR`: a float16 copy of a model folder, written next to --out and renamed into place. */
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
      const { quantizeFloat16 } = await import('../../training/index.js');
      const tmp = `${out}.tmp-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      try {
        await cp(from, tmp, { recursive: true });
        const { before, after } = await quantizeFloat16(tmp);
        const old = `${out}.old-${process.pid}`;
        if (existsSync(out)) await rename(out, old);
        await rename(tmp, out);
        await rm(old, { recursive: true, force: true });
        c.out.line(`${out}: weights ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB (float16)`);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
    });

export default quantizeCommand;
