import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { init } from '../../src/dvc/index.js';

export const logger = pino({ level: 'silent' });
export const XRAY_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/dvc/xray');

export interface TempRepo {
  base: string;
  root: string;
  remoteDir: string;
  cleanup(): Promise<void>;
}

/** A DVC repo in a fresh temp dir with the fixture X-rays at data/xray and a `[core] remote` config. */
export async function tempRepo(remoteUrl?: string): Promise<TempRepo> {
  const base = await mkdtemp(path.join(tmpdir(), 'dvc-test-'));
  const root = path.join(base, 'repo');
  const remoteDir = path.join(base, 'remote');
  await init(root);
  await cp(XRAY_FIXTURES, path.join(root, 'data', 'xray'), { recursive: true });
  await writeConfig(root, remoteUrl ?? '../../remote');
  return { base, root, remoteDir, cleanup: () => rm(base, { recursive: true, force: true }) };
}

export async function writeConfig(root: string, url: string, extra = ''): Promise<void> {
  await writeFile(path.join(root, '.dvc', 'config'), `[core]\n    remote = store\n['remote "store"']\n    url = ${url}\n${extra}`);
}

/** relpath -> md5 of every file under `dir`: a workspace snapshot to compare before/after. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const { listFiles } = await import('../../src/dvc/walk.js');
  const { md5File } = await import('../../src/dvc/hash.js');
  const out: Record<string, string> = {};
  for (const rel of await listFiles(dir)) out[rel] = await md5File(path.join(dir, rel));
  return out;
}
