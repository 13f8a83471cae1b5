import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

export async function tempDir(prefix = 'tracking-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A pino logger whose records the test can read. */
export function memoryLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) records.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), records };
}

export const silent = pino({ level: 'silent' });

/** A small folder to upload: two files, one nested. */
export async function artifactDir(parent: string): Promise<string> {
  const dir = path.join(parent, 'model');
  await fs.mkdir(path.join(dir, 'plots'), { recursive: true });
  await fs.writeFile(path.join(dir, 'model.json'), '{"format":"layers-model"}');
  await fs.writeFile(path.join(dir, 'plots', 'roc curve.svg'), '<svg/>');
  return dir;
}
