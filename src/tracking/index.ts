export { openTrackingStore, type OpenTrackingOptions, type OnUnreachable } from './open.js';
export type { TrackingStore, MetricPoint, LogBatch, CreateRunOptions, RunEndStatus } from './types.js';
export { RUN_END_STATUSES } from './types.js';
export { TrackingError, MlflowUnreachableError, MlflowApiError } from './errors.js';
export { MlflowClient, type MlflowAuth, type MlflowClientOptions } from './rest-client.js';
export { RestTrackingStore } from './rest-store.js';
export { FileTrackingStore, type FileStoreOptions } from './file-store.js';
export { chunkBatch, LOG_BATCH_LIMITS } from './batch.js';
export { dumpMetaYaml, pythonFloat, metricLine } from './file-format.js';
