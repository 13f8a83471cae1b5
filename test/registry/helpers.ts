import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach } from 'vitest';

export const FIXTURE_MODEL = fileURLToPath(new URL('../fixtures/registry/model-a', import.meta.url));
export const silent = pino({ level: 'silent' });

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

export async function tempDir(prefix = 'registry-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A copy of the fixture model folder with its metrics.json replaced. */
export async function makeModel(parent: string, label: string, metrics: Record<string, number>): Promise<string> {
  const dir = path.join(parent, `model-${label}`);
  await fs.cp(FIXTURE_MODEL, dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'metrics.json'), JSON.stringify(metrics));
  return dir;
}
