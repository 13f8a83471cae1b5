import { randomBytes } from 'node:crypto';
import { access, chmod, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { legacyMd5Bytes, legacyMd5File, md5Bytes, md5File } from './hash.js';
import { DIR_SUFFIX, isDirOid } from './manifest.js';
import { objectPath, type ObjectId } from './objects.js';

export function tempName(target: string, kind: 'tmp' | 'old' = 'tmp'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.dvc-${kind}-${randomBytes(6).toString('hex')}`);
}

/** The hash an object's bytes must have: md5 (3.x) or md5-dos2unix (2.x); `.dir` suffix stripped. */
export function expectedDigest(o: ObjectId): string {
  return isDirOid(o.oid) ? o.oid.slice(0, -DIR_SUFFIX.length) : o.oid;
}

export async function digestFile(file: string, legacy: boolean): Promise<string> {
  return legacy ? legacyMd5File(file) : md5File(file);
}

export function digestBytes(bytes: Uint8Array, legacy: boolean): string {
  return legacy ? legacyMd5Bytes(bytes) : md5Bytes(bytes);
}

/** The local object store (`.dvc/cache` or `cache.dir`). Objects are written once, read-only, by rename. */
export class LocalCache {
  constructor(readonly root: string) {}

  path(o: ObjectId): string {
    return objectPath(this.root, o);
  }

  async has(o: ObjectId): Promise<boolean> {
    try {
      await access(this.path(o));
      return true;
    } catch {
      return false;
    }
  }

  async readBytes(o: ObjectId): Promise<Buffer> {
    return readFile(this.path(o));
  }

  /** Copies a workspace file in (DVC's `cache.type = copy`); no-op if the object exists. */
  async putFile(src: string, o: ObjectId): Promise<void> {
    if (await this.has(o)) return;
    await this.install(o, (tmp) => copyFile(src, tmp));
  }

  async putBytes(bytes: Uint8Array, o: ObjectId): Promise<void> {
    if (await this.has(o)) return;
    await this.install(o, (tmp) => writeFile(tmp, bytes));
  }

  /** Writes through `produce(tmp)`, makes it read-only, renames into place; never a partial object. */
  async install(o: ObjectId, produce: (tmp: string) => Promise<void>): Promise<void> {
    const dest = this.path(o);
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = tempName(dest);
    try {
      await produce(tmp);
      await chmod(tmp, 0o444);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
