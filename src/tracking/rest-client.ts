import type { Logger } from 'pino';
import { MlflowApiError, MlflowUnreachableError } from './errors.js';

export interface MlflowAuth {
  /** MLFLOW_TRACKING_TOKEN: sent as a bearer token. */
  token?: string;
  /** MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD: HTTP basic auth. */
  username?: string;
  password?: string;
}

export interface MlflowClientOptions {
  /** http(s)://host:port of the tracking server. */
  uri: string;
  logger: Logger;
  /** Per request; default 30 s (artifact uploads get 10x). */
  timeoutMs?: number;
  auth?: MlflowAuth;
}

// Response shapes of the endpoints we call (mlflow/protos/service.proto, model_registry.proto), reduced to what we read.
export interface ExperimentJson {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
}
export interface RunInfoJson {
  run_id: string;
  experiment_id: string;
  artifact_uri: string;
  status?: string;
  run_name?: string;
}
export interface ModelVersionJson {
  name: string;
  version: string;
}

type Query = Record<string, string>;

/** A thin typed client for MLflow's REST API on Node's fetch: one method per endpoint we use, typed errors, timeouts. */
export class MlflowClient {
  readonly uri: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string> = {};

  constructor(private readonly o: MlflowClientOptions) {
    this.uri = o.uri.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? 30_000;
    if (o.auth?.token) this.headers.authorization = `Bearer ${o.auth.token}`;
    else if (o.auth?.username) this.headers.authorization = `Basic ${Buffer.from(`${o.auth.username}:${o.auth.password ?? ''}`).toString('base64')}`;
  }

  /** One HTTP exchange; network failures and timeouts become MlflowUnreachableError, error answers MlflowApiError. */
  async raw(method: 'GET' | 'POST' | 'PUT', url: string, endpoint: string, body?: string | Uint8Array, contentType?: string, timeoutMs = this.timeoutMs): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...this.headers, ...(contentType ? { 'content-type': contentType } : {}) },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const detail = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
      throw new MlflowUnreachableError(this.uri, detail, err);
    }
    const text = await res.text();
    if (!res.ok) {
      let code = `HTTP_${res.status}`;
      let message = text.slice(0, 300);
      try {
        const j = JSON.parse(text) as { error_code?: string; message?: string };
        code = j.error_code ?? code;
        message = j.message ?? message;
      } catch {
        // not JSON (a proxy's HTML page): keep the text
      }
      throw new MlflowApiError(res.status, code, endpoint, message);
    }
    this.o.logger.debug({ method, endpoint, status: res.status }, 'mlflow.request');
    if (text === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return {};
    }
  }

  private api(method: 'GET' | 'POST', endpoint: string, body?: object, query?: Query): Promise<unknown> {
    const qs = query ? `?${new URLSearchParams(query).toString()}` : '';
    const url = `${this.uri}/api/2.0/mlflow/${endpoint}${qs}`;
    return body === undefined
      ? this.raw(method, url, endpoint)
      : this.raw(method, url, endpoint, JSON.stringify(body), 'application/json');
  }

  async getExperimentByName(name: string): Promise<ExperimentJson | null> {
    try {
      const r = (await this.api('GET', 'experiments/get-by-name', undefined, { experiment_name: name })) as { experiment: ExperimentJson };
      return r.experiment;
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw err;
    }
  }

  async createExperiment(name: string): Promise<string> {
    const r = (await this.api('POST', 'experiments/create', { name })) as { experiment_id: string };
    return String(r.experiment_id);
  }

  async createRun(body: { experiment_id: string; run_name?: string; start_time: number; tags: { key: string; value: string }[] }): Promise<RunInfoJson> {
    const r = (await this.api('POST', 'runs/create', body)) as { run: { info: RunInfoJson } };
    return r.run.info;
  }

  async getRun(runId: string): Promise<RunInfoJson> {
    const r = (await this.api('GET', 'runs/get', undefined, { run_id: runId })) as { run: { info: RunInfoJson } };
    return r.run.info;
  }

  async logBatch(body: { run_id: string; metrics: object[]; params: object[]; tags: object[] }): Promise<void> {
    await this.api('POST', 'runs/log-batch', body);
  }

  async updateRun(body: { run_id: string; status: string; end_time: number }): Promise<void> {
    await this.api('POST', 'runs/update', body);
  }

  async createRegisteredModel(name: string): Promise<void> {
    await this.api('POST', 'registered-models/create', { name });
  }

  async createModelVersion(body: { name: string; source: string; run_id?: string }): Promise<ModelVersionJson> {
    const r = (await this.api('POST', 'model-versions/create', body)) as { model_version: ModelVersionJson };
    return r.model_version;
  }

  async setRegisteredModelAlias(body: { name: string; alias: string; version: string }): Promise<void> {
    await this.api('POST', 'registered-models/alias', body);
  }

  async setModelVersionTag(body: { name: string; version: string; key: string; value: string }): Promise<void> {
    await this.api('POST', 'model-versions/set-tag', body);
  }

  /** PUT one file through the server's artifact proxy (`mlflow server --serve-artifacts`, the 2.x default). */
  async uploadArtifact(artifactPath: string, data: Buffer): Promise<void> {
    const encoded = artifactPath.split('/').map(encodeURIComponent).join('/');
    const url = `${this.uri}/api/2.0/mlflow-artifacts/artifacts/${encoded}`;
    await this.raw('PUT', url, 'mlflow-artifacts/artifacts', new Uint8Array(data), 'application/octet-stream', this.timeoutMs * 10);
  }
}
