import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { MlflowApiError, MlflowUnreachableError, TrackingError } from './errors.js';
import { FileTrackingStore } from './file-store.js';
import { MlflowClient, type MlflowAuth } from './rest-client.js';
import { RestTrackingStore } from './rest-store.js';
import type { TrackingStore } from './types.js';

export type OnUnreachable = 'fallback' | 'fail';

export interface OpenTrackingOptions {
  /** MLFLOW_TRACKING_URI as the caller read it: http(s)://host:port, file:///path, a path, or empty for the file store. */
  trackingUri?: string;
  /** The file store used without a URI or on fallback: `<home>/mlruns`. */
  fileRoot: string;
  /** What an unreachable server means: 'fallback' (default) logs a warning and uses the file store; 'fail' throws. */
  onUnreachable?: OnUnreachable;
  logger: Logger;
  /** Per request; default 30 s. The reachability probe uses min(this, 5 s). */
  timeoutMs?: number;
  /** MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD, read by the caller. */
  auth?: MlflowAuth;
  now?: () => number;
}

/** Probes the server with a cheap GET; any HTTP answer but an auth refusal or a 5xx means it is there. */
async function probe(client: MlflowClient): Promise<void> {
  try {
    await client.getExperimentByName('Default');
  } catch (err) {
    if (err instanceof MlflowApiError && err.status >= 500) throw new MlflowUnreachableError(client.uri, `server error ${err.status}`, err);
    if (err instanceof MlflowApiError && err.status !== 401 && err.status !== 403) return;
    throw err;
  }
}

/**
 * Picks the store: REST when the URI is an http(s) server that answers, the file store otherwise.
 * The caller (CLI or operator) reads MLFLOW_TRACKING_URI; this library never reads the environment.
 */
export async function openTrackingStore(o: OpenTrackingOptions): Promise<TrackingStore> {
  const logger = o.logger.child({ component: 'tracking' });
  const uri = o.trackingUri?.trim() ?? '';
  const fileStore = (root: string): TrackingStore => new FileTrackingStore({ root, logger, now: o.now });
  if (uri === '') return fileStore(o.fileRoot);
  if (uri.startsWith('file:')) return fileStore(fileURLToPath(uri));
  if (!/^[a-z][a-z0-9+.-]*:/i.test(uri) || /^[a-z]:[\\/]/i.test(uri)) return fileStore(path.resolve(uri));
  if (!/^https?:\/\//i.test(uri)) {
    throw new TrackingError(`unsupported MLFLOW_TRACKING_URI ${uri}`, 'unsupported_tracking_uri',
      'use an http(s):// MLflow server or a local path; for a database backend run `mlflow server --backend-store-uri <db>` and point at the server');
  }
  const client = new MlflowClient({ uri, logger, timeoutMs: o.timeoutMs, auth: o.auth });
  try {
    await probe(new MlflowClient({ uri, logger, timeoutMs: Math.min(o.timeoutMs ?? 5000, 5000), auth: o.auth }));
  } catch (err) {
    if (!(err instanceof MlflowUnreachableError) || o.onUnreachable === 'fail') throw err;
    logger.warn({ uri, fileRoot: o.fileRoot, err: err.message }, 'mlflow.unreachable.falling_back_to_file_store');
    return fileStore(o.fileRoot);
  }
  return new RestTrackingStore(client, logger);
}
