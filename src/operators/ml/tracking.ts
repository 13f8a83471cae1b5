import path from 'node:path';
import type { Logger } from 'pino';
import type { Params } from '../../params/index.js';
import { MlflowUnreachableError, openTrackingStore, TrackingError, type TrackingStore } from '../../tracking/index.js';

/**
 * A failed attempt is recorded by its message (and stack) only, so a tracking error's `hint` would never reach the
 * task log or `dagctl tasks states`: carry it in the message (same code, the original as `cause`).
 */
export function withTrackingHint(err: unknown, note?: string): unknown {
  if (!(err instanceof TrackingError) || err.message.includes('\nhint: ')) return err;
  const hint = err.hint ? `\nhint: ${err.hint}` : '';
  return new TrackingError(`${err.message}${note ? `; ${note}` : ''}${hint}`, err.code, err.hint, { cause: err });
}

/** The tracking store of a pipeline task: MLFLOW_TRACKING_URI from `env`, else (or on fallback) `<home>/mlruns`. */
export async function openPipelineTracking(o: { env: NodeJS.ProcessEnv; home: string; params: Params; logger: Logger }): Promise<TrackingStore> {
  const onUnreachable = o.params.pipeline.on_mlflow_unreachable;
  try {
    return await openTrackingStore({ trackingUri: o.env.MLFLOW_TRACKING_URI, fileRoot: path.join(o.home, 'mlruns'), onUnreachable, logger: o.logger });
  } catch (err) {
    const note = err instanceof MlflowUnreachableError ? `params.yaml has pipeline.on_mlflow_unreachable: ${onUnreachable} ("fallback" logs to ${path.join(o.home, 'mlruns')} instead)` : undefined;
    throw withTrackingHint(err, note);
  }
}
