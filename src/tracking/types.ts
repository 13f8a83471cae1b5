/** One logged metric value, as MLflow's REST API and file store hold it. */
export interface MetricPoint {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface LogBatch {
  metrics?: MetricPoint[];
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

export const RUN_END_STATUSES = ['FINISHED', 'FAILED', 'KILLED'] as const;
export type RunEndStatus = (typeof RUN_END_STATUSES)[number];

export interface CreateRunOptions {
  runName?: string;
  tags?: Record<string, string>;
  /** Milliseconds since the epoch; default now. */
  startTime?: number;
}

/** Where runs and the registry mirror go: an MLflow server (REST) or MLflow's file-store layout on disk. */
export interface TrackingStore {
  readonly kind: 'rest' | 'file';
  /** The server URL, or the file store's root folder. */
  readonly uri: string;
  getOrCreateExperiment(name: string): Promise<string>;
  createRun(experimentId: string, o?: CreateRunOptions): Promise<{ runId: string; artifactUri: string }>;
  /** Splits into as many calls as MLflow's limits need (1000 metrics, 100 params, 100 tags, 1000 items per call). */
  logBatch(runId: string, o: LogBatch): Promise<void>;
  /** Uploads a folder (or one file) under the run's artifacts, at `artifactPath` if given. */
  logArtifacts(runId: string, localPath: string, artifactPath?: string): Promise<void>;
  setTerminated(runId: string, status: RunEndStatus, endTime?: number): Promise<void>;
  /** Idempotent: an existing model is fine. */
  createRegisteredModel(name: string): Promise<void>;
  /** Returns the new version number as MLflow spells it (a string). */
  createModelVersion(name: string, source: string, runId?: string): Promise<string>;
  /** Points `alias` (e.g. champion) at `version`, moving it if it exists. */
  setAlias(name: string, alias: string, version: string): Promise<void>;
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  /** A link for notices: the MLflow UI page of the run, or the run's folder. */
  getRunUrl(experimentId: string, runId: string): string;
}
