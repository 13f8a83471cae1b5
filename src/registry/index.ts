export { openRegistry, DEFAULT_MODEL_NAME, type Registry, type OpenRegistryOptions } from './registry.js';
export type { ModelVersion, Promotion, PromotionAction, RegisterInfo, PromoteOptions, WatchOptions, VersionFile } from './types.js';
export {
  RegistryError,
  ModelVersionNotFoundError,
  NoChampionError,
  NothingToRollBackError,
  InvalidModelFolderError,
  RegistryLockTimeoutError,
  CorruptRegistryFileError,
} from './errors.js';
export { REQUIRED_MODEL_FILES } from './model-folder.js';
