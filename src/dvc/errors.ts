/**
 * Typed DVC errors. Codes are stable (operators and the CLI branch on them); exit codes follow
 * dvc/cli/__init__.py: 1 handled command failure, 251 config error, 253 not a DVC repo, 255 other.
 */
export const DVC_ERROR_CODES = [
  'not_a_dvc_repo',
  'config',
  'no_remote',
  'bad_dvc_file',
  'bad_pipeline',
  'target_missing',
  'missing_object',
  'corrupt_object',
  'remote_unreachable',
  'remote_error',
  'missing_cache',
  'workspace_changed',
  'locked',
] as const;
export type DvcErrorCode = (typeof DVC_ERROR_CODES)[number];

export class DvcError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(
    readonly code: DvcErrorCode,
    message: string,
    opts: { hint?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DvcError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

export class NotADvcRepoError extends DvcError {
  constructor(dir: string) {
    super('not_a_dvc_repo', `you are not inside of a DVC repository (checked up from '${dir}')`, {
      hint: 'run `dagctl dvc init` in the repository root, or cd into a DVC repository',
      exitCode: 253,
    });
    this.name = 'NotADvcRepoError';
  }
}

export class DvcConfigError extends DvcError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('config', message, { hint, exitCode: 251, cause });
    this.name = 'DvcConfigError';
  }
}

/** One object that could not be transferred, with the workspace path that needs it. */
export interface FailedObject {
  oid: string;
  /** Workspace path of the file (or directory) the object belongs to. */
  path: string;
  detail: string;
}

function listObjects(objects: readonly FailedObject[]): string {
  const shown = objects.slice(0, 5).map((o) => `  ${o.path} (${o.oid}): ${o.detail}`);
  if (objects.length > 5) shown.push(`  ... and ${objects.length - 5} more`);
  return shown.join('\n');
}

/** Objects the remote does not have. */
export class MissingObjectError extends DvcError {
  constructor(
    readonly remote: string,
    readonly objects: readonly FailedObject[],
  ) {
    super('missing_object', `failed to pull data from the cloud: ${objects.length} object(s) missing from remote '${remote}'\n${listObjects(objects)}`, {
      hint: 'run `dagctl dvc push` (or `dvc push`) from the machine that has the data, then pull again',
    });
    this.name = 'MissingObjectError';
  }
}

/** Objects whose bytes do not hash to their name: the remote copy is damaged. */
export class CorruptObjectError extends DvcError {
  constructor(
    readonly remote: string,
    readonly objects: readonly FailedObject[],
  ) {
    super('corrupt_object', `failed to pull data from the cloud: ${objects.length} object(s) on remote '${remote}' fail md5 verification\n${listObjects(objects)}`, {
      hint: 'the remote copy is damaged: re-push it with `dagctl dvc push` from a machine whose cache is intact (delete the bad remote file first)',
    });
    this.name = 'CorruptObjectError';
  }
}

export class RemoteUnreachableError extends DvcError {
  constructor(
    readonly remote: string,
    readonly url: string,
    detail: string,
    cause?: unknown,
  ) {
    super('remote_unreachable', `remote '${remote}' (${url}) is unreachable: ${detail}`, {
      hint: `check the network and the url in .dvc/config (or .dvc/config.local), e.g. \`dvc remote modify ${remote} url <url>\``,
      cause,
    });
    this.name = 'RemoteUnreachableError';
  }
}

export class MissingCacheError extends DvcError {
  constructor(
    readonly objects: readonly FailedObject[],
    action: 'push' | 'checkout' = 'push',
  ) {
    const what = action === 'push' ? 'failed to push data to the cloud' : 'failed to check out';
    super('missing_cache', `${what}: ${objects.length} object(s) are not in the local cache\n${listObjects(objects)}`, {
      hint: action === 'push' ? 'run `dagctl dvc add <path>` for the data first, or `dagctl dvc pull` it from another remote' : 'run `dagctl dvc pull` (or `fetch`) first',
    });
    this.name = 'MissingCacheError';
  }
}
