/**
 * A DVC 3 compatible data-versioning client (no Python): .dvc files, `.dir` manifests, the
 * `files/md5/XX/REST` cache and remote layout, local-folder and HTTP(S) remotes.
 *
 * Terms (DVC's): an *out* is a tracked file or folder; an *object* is a content-addressed file in
 * the cache or on a remote; a *.dir manifest* lists a folder's files and is itself an object.
 */
export { add, type AddResult } from './add.js';
export { push, type PushResult } from './push.js';
export { pull, checkout, type PullOptions, type PullResult, type CheckoutResult } from './pull.js';
export { fetch, type FetchOptions, type FetchResult } from './fetch.js';
export { status, type StatusOptions, type StatusResult, type LocalStatus, type CloudState } from './status.js';
export type { ChangeState, StatusItem } from './pipeline-status.js';
export { commit, type CommitOptions, type CommitResult } from './lock.js';
export { init } from './init.js';
export { dataVersion, dvcCliAvailable } from './version.js';
export { findRepoRoot, type DvcOptions } from './repo.js';
export type { Change, ChangeKind } from './checkout.js';
export {
  DvcError,
  NotADvcRepoError,
  DvcConfigError,
  MissingObjectError,
  CorruptObjectError,
  RemoteUnreachableError,
  MissingCacheError,
  DVC_ERROR_CODES,
  type DvcErrorCode,
  type FailedObject,
} from './errors.js';
