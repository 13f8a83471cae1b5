import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TrackingError } from './errors.js';
import { keyPath, readMetaYaml, writeMetaYaml, writeValue } from './file-format.js';

/**
 * The model registry part of MLflow's FileStore (mlflow/store/model_registry/file_store.py):
 * `models/<name>/meta.yaml`, `version-<n>/meta.yaml`, `version-<n>/tags/<key>`, `aliases/<alias>` (content = version).
 */
export class FileModelRegistry {
  constructor(
    private readonly root: string,
    private readonly now: () => number,
  ) {}

  private modelDir(name: string): string {
    if (!name || /[/\\%]/.test(name) || name === '.' || name === '..') {
      throw new TrackingError(`invalid registered model name "${name}"`, 'invalid_key', 'model names cannot contain "/", "\\" or "%"');
    }
    return path.join(this.root, name);
  }

  private async requireModel(name: string): Promise<Record<string, unknown>> {
    const meta = await readMetaYaml(path.join(this.modelDir(name), 'meta.yaml'));
    if (!meta) throw new TrackingError(`registered model ${name} does not exist`, 'model_not_found', 'call createRegisteredModel(name) first');
    return meta;
  }

  private async touch(name: string, meta: Record<string, unknown>, t: number): Promise<void> {
    await writeMetaYaml(path.join(this.modelDir(name), 'meta.yaml'), { ...meta, last_updated_timestamp: t });
  }

  async createRegisteredModel(name: string): Promise<void> {
    const file = path.join(this.modelDir(name), 'meta.yaml');
    if (await readMetaYaml(file)) return;
    const t = this.now();
    // dict(RegisteredModel) without tags and latest_versions, as _save_registered_model_as_meta_file writes it.
    await writeMetaYaml(file, { aliases: {}, creation_timestamp: t, description: null, last_updated_timestamp: t, name });
  }

  private async versions(name: string): Promise<number[]> {
    const entries = await fs.readdir(this.modelDir(name));
    return entries.map((e) => /^version-(\d+)$/.exec(e)?.[1]).filter((v): v is string => v !== undefined).map(Number);
  }

  async createModelVersion(name: string, source: string, runId?: string): Promise<string> {
    const meta = await this.requireModel(name);
    const t = this.now();
    // mkdir fails if another writer took the number first; then try the next one.
    for (let attempt = 0; attempt < 10; attempt++) {
      const version = Math.max(0, ...(await this.versions(name))) + 1;
      const dir = path.join(this.modelDir(name), `version-${version}`);
      try {
        await fs.mkdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      await writeMetaYaml(path.join(dir, 'meta.yaml'), {
        aliases: [],
        creation_timestamp: t,
        current_stage: 'None',
        description: null,
        last_updated_timestamp: t,
        name,
        run_id: runId ?? null,
        run_link: null,
        source,
        status: 'READY',
        status_message: null,
        storage_location: source,
        user_id: null,
        version,
      });
      await this.touch(name, meta, t);
      return String(version);
    }
    throw new TrackingError(`could not allocate a version of ${name}`, 'version_conflict', 'too many concurrent registrations; retry');
  }

  private async requireVersion(name: string, version: string): Promise<string> {
    const dir = path.join(this.modelDir(name), `version-${version}`);
    if (!/^\d+$/.test(version) || !(await readMetaYaml(path.join(dir, 'meta.yaml')))) {
      throw new TrackingError(`model ${name} has no version ${version}`, 'model_version_not_found');
    }
    return dir;
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    const meta = await this.requireModel(name);
    await this.requireVersion(name, version);
    await writeValue(keyPath(path.join(this.modelDir(name), 'aliases'), alias, 'alias'), version);
    await this.touch(name, meta, this.now());
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    const dir = await this.requireVersion(name, version);
    await writeValue(keyPath(path.join(dir, 'tags'), key, 'tag'), value);
  }
}
