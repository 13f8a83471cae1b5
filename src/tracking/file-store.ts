import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { TrackingError } from './errors.js';
import { keyPath, metricLine, readMetaYaml, writeMetaYaml, writeValue } from './file-format.js';
import { FileModelRegistry } from './file-registry.js';
import { copyInto } from './local-files.js';
import { currentUser, defaultRunTags } from './rest-store.js';
import type { CreateRunOptions, LogBatch, RunEndStatus, TrackingStore } from './types.js';

/** RunStatus as MLflow's meta.yaml stores it (an int enum). */
const RUN_STATUS = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;
const SOURCE_TYPE_LOCAL = 4;
const DEFAULT_EXPERIMENT_ID = '0';

export interface FileStoreOptions {
  /** The mlruns folder (`<home>/mlruns`, or what `mlflow ui --backend-store-uri` points at). */
  root: string;
  logger: Logger;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number;
}

/** Experiment ids as MLflow's FileStore makes them: random positive integers, as strings. */
function newExperimentId(): string {
  return (randomBytes(8).readBigUInt64BE() % 900_000_000_000_000_000n + 100_000_000_000_000_000n).toString();
}

/**
 * A TrackingStore writing MLflow's FileStore layout (mlflow/store/tracking/file_store.py), so
 * `mlflow ui --backend-store-uri <root>` shows the runs. Runs sit at `<root>/<exp_id>/<run_id>/`.
 */
export class FileTrackingStore implements TrackingStore {
  readonly kind = 'file' as const;
  readonly uri: string;
  private readonly registry: FileModelRegistry;
  private readonly runDirs = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly o: FileStoreOptions) {
    this.uri = path.resolve(o.root);
    this.now = o.now ?? Date.now;
    this.registry = new FileModelRegistry(path.join(this.uri, 'models'), this.now);
  }

  private expMeta(id: string, name: string, t: number): Record<string, unknown> {
    return {
      artifact_location: pathToFileURL(path.join(this.uri, id)).href,
      creation_time: t,
      experiment_id: id,
      last_update_time: t,
      lifecycle_stage: 'active',
      name,
    };
  }

  /** The root with `.trash/` and the Default experiment "0", as MLflow creates on first use. */
  private async ensureRoot(): Promise<void> {
    await fs.mkdir(path.join(this.uri, '.trash'), { recursive: true });
    const meta = path.join(this.uri, DEFAULT_EXPERIMENT_ID, 'meta.yaml');
    if (!(await readMetaYaml(meta))) await writeMetaYaml(meta, this.expMeta(DEFAULT_EXPERIMENT_ID, 'Default', this.now()));
  }

  private async experiments(): Promise<{ id: string; name: string; stage: string }[]> {
    const out: { id: string; name: string; stage: string }[] = [];
    const entries = await fs.readdir(this.uri, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const entry of entries) {
      if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
      const meta = await readMetaYaml(path.join(this.uri, entry.name, 'meta.yaml'));
      if (meta) out.push({ id: entry.name, name: String(meta.name), stage: String(meta.lifecycle_stage) });
    }
    return out;
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    await this.ensureRoot();
    const found = (await this.experiments()).find((e) => e.name === name && e.stage === 'active');
    if (found) return found.id;
    const id = newExperimentId();
    await writeMetaYaml(path.join(this.uri, id, 'meta.yaml'), this.expMeta(id, name, this.now()));
    this.o.logger.info({ experiment: name, experimentId: id }, 'mlflow.file.experiment_created');
    return id;
  }

  async createRun(experimentId: string, o: CreateRunOptions = {}): Promise<{ runId: string; artifactUri: string }> {
    const expDir = path.join(this.uri, experimentId);
    if (!(await readMetaYaml(path.join(expDir, 'meta.yaml')))) {
      throw new TrackingError(`experiment ${experimentId} does not exist in ${this.uri}`, 'experiment_not_found', 'call getOrCreateExperiment(name) first');
    }
    const runId = randomUUID().replaceAll('-', '');
    const runDir = path.join(expDir, runId);
    const artifactUri = pathToFileURL(path.join(runDir, 'artifacts')).href;
    const runName = o.runName ?? `run-${runId.slice(0, 8)}`;
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) await fs.mkdir(path.join(runDir, sub), { recursive: true });
    // dict(RunInfo) plus what _make_persisted_run_info_dict adds for older readers.
    await writeMetaYaml(path.join(runDir, 'meta.yaml'), {
      artifact_uri: artifactUri,
      end_time: null,
      entry_point_name: '',
      experiment_id: experimentId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_name: runName,
      run_uuid: runId,
      source_name: '',
      source_type: SOURCE_TYPE_LOCAL,
      source_version: '',
      start_time: o.startTime ?? this.now(),
      status: RUN_STATUS.RUNNING,
      tags: [],
      user_id: currentUser(),
    });
    this.runDirs.set(runId, runDir);
    await this.logBatch(runId, { tags: { ...defaultRunTags(runName), ...o.tags } });
    return { runId, artifactUri };
  }

  private async runDir(runId: string): Promise<string> {
    const known = this.runDirs.get(runId);
    if (known) return known;
    if (/^[0-9a-f]{32}$/.test(runId)) {
      for (const e of await this.experiments()) {
        const dir = path.join(this.uri, e.id, runId);
        if (await readMetaYaml(path.join(dir, 'meta.yaml'))) {
          this.runDirs.set(runId, dir);
          return dir;
        }
      }
    }
    throw new TrackingError(`run ${runId} does not exist in ${this.uri}`, 'run_not_found', 'create the run with createRun() in this store');
  }

  async logBatch(runId: string, o: LogBatch): Promise<void> {
    const dir = await this.runDir(runId);
    for (const [key, value] of Object.entries(o.params ?? {})) {
      const file = keyPath(path.join(dir, 'params'), key, 'param');
      const old = await fs.readFile(file, 'utf8').catch(() => null);
      if (old === null) await writeValue(file, String(value), 'wx');
      else if (old !== String(value)) {
        throw new TrackingError(`param ${key} was already logged as "${old}", cannot change it to "${value}"`, 'param_conflict', 'params are immutable in MLflow: log the new value under another key or in a new run');
      }
    }
    for (const [key, value] of Object.entries(o.tags ?? {})) await writeValue(keyPath(path.join(dir, 'tags'), key, 'tag'), String(value));
    // Group lines per key so each metric file gets one append.
    const lines = new Map<string, string>();
    for (const m of o.metrics ?? []) lines.set(m.key, (lines.get(m.key) ?? '') + metricLine(m.timestamp, m.value, m.step));
    for (const [key, text] of lines) {
      const file = keyPath(path.join(dir, 'metrics'), key, 'metric');
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.appendFile(file, text);
    }
  }

  async logArtifacts(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    const base = path.join(await this.runDir(runId), 'artifacts');
    await copyInto(localPath, artifactPath ? keyPath(base, artifactPath, 'artifact path') : base);
  }

  async setTerminated(runId: string, status: RunEndStatus, endTime?: number): Promise<void> {
    const file = path.join(await this.runDir(runId), 'meta.yaml');
    const meta = await readMetaYaml(file);
    if (!meta) throw new TrackingError(`run ${runId} has no meta.yaml`, 'run_not_found');
    await writeMetaYaml(file, { ...meta, status: RUN_STATUS[status], end_time: endTime ?? this.now() });
  }

  createRegisteredModel(name: string): Promise<void> {
    return this.registry.createRegisteredModel(name);
  }

  createModelVersion(name: string, source: string, runId?: string): Promise<string> {
    return this.registry.createModelVersion(name, source, runId);
  }

  setAlias(name: string, alias: string, version: string): Promise<void> {
    return this.registry.setAlias(name, alias, version);
  }

  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    return this.registry.setModelVersionTag(name, version, key, value);
  }

  getRunUrl(experimentId: string, runId: string): string {
    return pathToFileURL(path.join(this.uri, experimentId, runId)).href;
  }
}
