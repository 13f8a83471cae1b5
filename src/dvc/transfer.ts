import type { Logger } from 'pino';
import { digestFile, expectedDigest, type LocalCache } from './cache.js';
import { isDirOid } from './manifest.js';
import { CorruptObjectError, DvcError, MissingObjectError, RemoteUnreachableError, type FailedObject } from './errors.js';
import { objectKey, type ObjectId } from './objects.js';
import { mapPool } from './pool.js';
import { ObjectNotFoundError, type Remote } from './remotes/types.js';

/** Internal: downloaded bytes that do not hash to the object's name. */
class DigestMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`md5 mismatch: expected ${expected}, got ${actual}`);
  }
}

export interface Wanted {
  object: ObjectId;
  /** Workspace path the object is for (error messages). */
  rel: string;
}

/**
 * Downloads each object into the cache through a temp file, verifies its md5 before it becomes
 * visible, and reports every failure at once as one typed error. Returns how many were downloaded.
 */
export async function downloadAll(cache: LocalCache, remote: Remote, wanted: readonly Wanted[], jobs: number, logger: Logger, signal?: AbortSignal): Promise<number> {
  const settled = await mapPool(
    wanted,
    jobs,
    async ({ object }) => {
      await cache.install(object, async (tmp) => {
        await remote.download(objectKey(object), tmp);
        // .dir manifests are JSON text without CR, so plain md5 is right for both flavours.
        const actual = await digestFile(tmp, object.legacy && !isDirOid(object.oid));
        const expected = expectedDigest(object);
        if (actual !== expected) throw new DigestMismatchError(expected, actual);
      });
      logger.debug({ oid: object.oid }, 'fetched');
    },
    (err) => err instanceof RemoteUnreachableError || signal?.aborted === true,
  );
  signal?.throwIfAborted();
  const missing: FailedObject[] = [];
  const corrupt: FailedObject[] = [];
  let firstOther: unknown;
  settled.forEach((s, i) => {
    if (s.ok) return;
    const w = wanted[i] as Wanted;
    if (s.error instanceof RemoteUnreachableError) throw s.error;
    if (s.error instanceof ObjectNotFoundError) missing.push({ oid: w.object.oid, path: w.rel, detail: 'not on the remote' });
    else if (s.error instanceof DigestMismatchError) corrupt.push({ oid: w.object.oid, path: w.rel, detail: s.error.message });
    else firstOther ??= s.error;
  });
  if (corrupt.length) throw new CorruptObjectError(remote.name, corrupt);
  if (missing.length) throw new MissingObjectError(remote.name, missing);
  if (firstOther !== undefined) {
    if (firstOther instanceof DvcError) throw firstOther;
    throw new DvcError('remote_error', `failed to pull data from the cloud: ${String((firstOther as Error).message ?? firstOther)}`, { cause: firstOther });
  }
  return wanted.length;
}
