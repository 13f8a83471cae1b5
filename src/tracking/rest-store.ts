import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { chunkBatch, toKeyValues } from './batch.js';
import { MlflowApiError, TrackingError } from './errors.js';
import { copyInto, filesUnder, joinPosix } from './local-files.js';
import type { MlflowClient } from './rest-client.js';
import type { CreateRunOptions, LogBatch, RunEndStatus, TrackingStore } from './types.js';

/** The OS user, as MLflow records it; containers without a passwd entry make os.userInfo() throw. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** Tags the MLflow UI shows in its Source/User columns, unless the caller sets them. */
export function defaultRunTags(runName: string | undefined): Record<string, string> {
  return {
    ...(runName ? { 'mlflow.runName': runName } : {}),
    'mlflow.user': currentUser(),
    'mlflow.source.name': 'dagctl',
    'mlflow.source.type': 'LOCAL',
  };
}

/** A TrackingStore on an MLflow server's REST API. */
export class RestTrackingStore implements TrackingStore {
  readonly kind = 'rest' as const;
  readonly uri: string;
  private readonly artifactUris = new Map<string, string>();

  constructor(
    private readonly client: MlflowClient,
    private readonly logger: Logger,
  ) {
    this.uri = client.uri;
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    const found = await this.client.getExperimentByName(name);
    if (found) {
      if (found.lifecycle_stage === 'deleted') {
        throw new TrackingError(`MLflow experiment "${name}" is deleted`, 'experiment_deleted', `restore it (mlflow experiments restore --experiment-id ${found.experiment_id}) or use another name`);
      }
      return String(found.experiment_id);
    }
    try {
      const id = await this.client.createExperiment(name);
      this.logger.info({ experiment: name, experimentId: id }, 'mlflow.experiment.created');
      return id;
    } catch (err) {
      // Another process created it between our get and create.
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.client.getExperimentByName(name);
        if (again) return String(again.experiment_id);
      }
      throw err;
    }
  }

  async createRun(experimentId: string, o: CreateRunOptions = {}): Promise<{ runId: string; artifactUri: string }> {
    const tags = { ...defaultRunTags(o.runName), ...o.tags };
    const info = await this.client.createRun({
      experiment_id: experimentId,
      ...(o.runName ? { run_name: o.runName } : {}),
      start_time: o.startTime ?? Date.now(),
      tags: toKeyValues(tags),
    });
    this.artifactUris.set(info.run_id, info.artifact_uri);
    return { runId: info.run_id, artifactUri: info.artifact_uri };
  }

  async logBatch(runId: string, o: LogBatch): Promise<void> {
    const chunks = chunkBatch(o.metrics ?? [], toKeyValues(o.params), toKeyValues(o.tags));
    for (const c of chunks) await this.client.logBatch({ run_id: runId, metrics: c.metrics, params: c.params, tags: c.tags });
    this.logger.debug({ runId, requests: chunks.length }, 'mlflow.log_batch');
  }

  private async artifactUri(runId: string): Promise<string> {
    const known = this.artifactUris.get(runId);
    if (known) return known;
    const uri = (await this.client.getRun(runId)).artifact_uri;
    this.artifactUris.set(runId, uri);
    return uri;
  }

  async logArtifacts(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    const uri = await this.artifactUri(runId);
    if (uri.startsWith('mlflow-artifacts:')) {
      // mlflow-artifacts:/<exp>/<run>/artifacts or mlflow-artifacts://host:port/<exp>/<run>/artifacts
      const base = new URL(uri).pathname;
      const files = await filesUnder(localPath);
      for (const [abs, rel] of files) await this.client.uploadArtifact(joinPosix(base, artifactPath, rel), await fs.readFile(abs));
      this.logger.info({ runId, files: files.length, artifactPath }, 'mlflow.artifacts.uploaded');
      return;
    }
    if (uri.startsWith('file:') || path.isAbsolute(uri)) {
      // The server writes artifacts straight to its disk: only usable when that disk is ours too.
      const dir = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
      const runDir = path.dirname(dir);
      const local = await fs.stat(runDir).then(() => true, () => false);
      if (!local) {
        throw new TrackingError(`artifact location ${uri} is not on this machine`, 'artifact_uri_not_local',
          'start the server with --serve-artifacts (the MLflow 2.x default) so clients upload through it');
      }
      await copyInto(localPath, artifactPath ? path.join(dir, ...artifactPath.split('/')) : dir);
      return;
    }
    throw new TrackingError(`cannot upload to artifact location ${uri}`, 'unsupported_artifact_uri',
      'start the MLflow server with --serve-artifacts (and --artifacts-destination for cloud storage) so clients upload through it');
  }

  async setTerminated(runId: string, status: RunEndStatus, endTime?: number): Promise<void> {
    await this.client.updateRun({ run_id: runId, status, end_time: endTime ?? Date.now() });
  }

  async createRegisteredModel(name: string): Promise<void> {
    try {
      await this.client.createRegisteredModel(name);
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') return;
      throw err;
    }
  }

  async createModelVersion(name: string, source: string, runId?: string): Promise<string> {
    const mv = await this.client.createModelVersion({ name, source, ...(runId ? { run_id: runId } : {}) });
    return String(mv.version);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.client.setRegisteredModelAlias({ name, alias, version });
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.client.setModelVersionTag({ name, version, key, value });
  }

  getRunUrl(experimentId: string, runId: string): string {
    return `${this.uri}/#/experiments/${experimentId}/runs/${runId}`;
  }
}
