/** Typed registry errors: a stable `code`, a `hint` saying what to do next, and the original `cause`. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ModelVersionNotFoundError extends RegistryError {
  constructor(
    readonly modelName: string,
    readonly version: number,
    known: number[],
  ) {
    super(
      `model ${modelName} has no version ${version}`,
      'model_version_not_found',
      known.length ? `known versions: ${known.join(', ')} (dagctl models list)` : 'the registry is empty: register a model first (run the pipeline)',
    );
  }
}

export class NoChampionError extends RegistryError {
  constructor(readonly modelName: string) {
    super(`model ${modelName} has no champion yet`, 'no_champion', 'promote a version first: dagctl models promote <version>');
  }
}

export class NothingToRollBackError extends RegistryError {
  constructor(readonly modelName: string, current: number | null) {
    super(
      current === null
        ? `model ${modelName} has no champion, so there is nothing to roll back`
        : `model ${modelName}: version ${current} is the first champion, there is no previous champion to roll back to`,
      'nothing_to_roll_back',
      'promote a specific version instead: dagctl models promote <version>',
    );
  }
}

export class InvalidModelFolderError extends RegistryError {
  constructor(readonly dir: string, missing: string[]) {
    super(
      `${dir} is not a model folder (missing ${missing.join(', ')})`,
      'invalid_model_folder',
      'pass the folder written by `dagctl train` (it holds model.json, weights.bin and metadata.json)',
    );
  }
}

export class RegistryLockTimeoutError extends RegistryError {
  constructor(readonly lockFile: string, waitedMs: number) {
    super(
      `could not lock the registry within ${waitedMs} ms (${lockFile} is held)`,
      'registry_locked',
      `another dagctl process is changing the registry; if none is running, delete ${lockFile}`,
    );
  }
}

export class CorruptRegistryFileError extends RegistryError {
  constructor(readonly file: string, cause: unknown) {
    super(`cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, 'corrupt_registry_file',
      'the file was edited by hand or the disk is damaged; restore it from a backup or fix the JSON', { cause });
  }
}
