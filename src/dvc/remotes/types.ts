/** A DVC remote seen as a flat key -> bytes store; keys are object keys such as `files/md5/ac/bd18...`. */
export interface Remote {
  readonly name: string;
  readonly url: string;
  exists(key: string): Promise<boolean>;
  /** Writes the object to `dest`; throws ObjectNotFoundError when the remote lacks it. */
  download(key: string, dest: string): Promise<void>;
  upload(src: string, key: string): Promise<void>;
  close(): void;
}

/** Internal: the remote answered, and the object is not there. Turned into MissingObjectError by fetch. */
export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object ${key} not found`);
    this.name = 'ObjectNotFoundError';
  }
}
