import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CorruptRegistryFileError, ModelVersionNotFoundError } from './errors.js';
import type { ModelVersion, Promotion, VersionFile } from './types.js';

/** Version numbers present under versions/, ascending; staging folders and stray files are not versions. */
export async function listVersionNumbers(versionsDir: string): Promise<number[]> {
  const names = await fs.readdir(versionsDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

export async function readVersion(versionsDir: string, modelName: string, version: number): Promise<VersionFile> {
  const file = path.join(versionsDir, String(version), 'version.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelVersionNotFoundError(modelName, version, await listVersionNumbers(versionsDir));
    throw err;
  }
  try {
    return JSON.parse(text) as VersionFile;
  } catch (cause) {
    throw new CorruptRegistryFileError(file, cause);
  }
}

/** version.json plus what only the champion file and history know: is it the champion, when was it last promoted. */
export function versionView(versionsDir: string, v: VersionFile, champ: Promotion | null, history: readonly Promotion[]): ModelVersion {
  const last = history.findLast((p) => p.version === v.version);
  return {
    version: v.version,
    dir: path.join(versionsDir, String(v.version)),
    created_at: v.created_at,
    source: v.source,
    run_id: v.run_id ?? null,
    data_version: v.data_version ?? null,
    metrics: v.metrics ?? {},
    mlflow_run_id: v.mlflow_run_id ?? null,
    tags: v.tags ?? {},
    is_champion: champ?.version === v.version,
    promoted_at: champ?.version === v.version ? champ.promoted_at : (last?.promoted_at ?? null),
  };
}
