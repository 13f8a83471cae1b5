// The serving module's public surface: what `dagctl serve`, the benchmark and tests use.
export { startServer, DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_QUEUE_CAPACITY, type ServeOptions, type RunningServer } from './server.js';
export { championSource, pinnedVersionSource, folderSource, type ModelSource, type ModelRef, type ChampionRegistry } from './source.js';
export type { ReloadFailure } from './reloader.js';
export type { PredictResponse } from './routes/predict.js';
export type { Explanation } from './explain.js';
export { ServeError, QueueFullError, ModelNotReadyError, ModelLoadError } from './errors.js';
