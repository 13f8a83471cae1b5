import { access, chmod, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { tempName } from '../cache.js';
import { RemoteUnreachableError } from '../errors.js';
import { ObjectNotFoundError, type Remote } from './types.js';

/** A remote that is a folder (local disk, NFS, a mounted share). */
export class LocalRemote implements Remote {
  constructor(
    readonly name: string,
    readonly url: string,
    private readonly signal?: AbortSignal,
  ) {}

  private abs(key: string): string {
    return path.join(this.url, ...key.split('/'));
  }

  /** A remote folder that does not exist is an unreachable remote (wrong url or an unmounted share). */
  async ensureRoot(create: boolean): Promise<void> {
    if (create) await mkdir(this.url, { recursive: true });
    try {
      if (!(await stat(this.url)).isDirectory()) throw new Error('not a directory');
    } catch (cause) {
      throw new RemoteUnreachableError(this.name, this.url, 'the remote folder does not exist', cause);
    }
  }

  async exists(key: string): Promise<boolean> {
    this.signal?.throwIfAborted();
    try {
      await access(this.abs(key));
      return true;
    } catch {
      return false;
    }
  }

  async download(key: string, dest: string): Promise<void> {
    this.signal?.throwIfAborted();
    try {
      await copyFile(this.abs(key), dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async upload(src: string, key: string): Promise<void> {
    this.signal?.throwIfAborted();
    const dest = this.abs(key);
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = tempName(dest);
    try {
      await copyFile(src, tmp);
      await chmod(tmp, 0o444);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  close(): void {}
}
