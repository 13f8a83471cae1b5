import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { RegistryLockTimeoutError } from './errors.js';

/** A name no other writer picks: temp files never collide, even across processes. */
export function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Fsyncs a directory so a rename inside it survives a power cut; some file systems refuse, which is harmless. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/**
 * Replaces `file` so readers see either the old or the new content, never a torn write:
 * write a temp file beside it, fsync, rename over. A crash before the rename leaves the old file
 * (plus a `.tmp-*` file that readers ignore).
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const temp = tempName(file);
  const handle = await fs.open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(file));
}

/** Appends one line and fsyncs, so an acknowledged history entry is on disk. */
export async function appendLineDurable(file: string, line: string): Promise<void> {
  const handle = await fs.open(file, 'a');
  try {
    await handle.write(`${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames a fully written directory into place; the rename is what makes it visible. */
export async function renameDirDurable(from: string, to: string): Promise<void> {
  await fs.rename(from, to);
  await fsyncDir(path.dirname(to));
}

const EMPTY_LOCK_GRACE_MS = 10_000;

interface LockOwner {
  pid: number;
  host: string;
  at: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock left by a process that died (same host, pid gone) may be broken; anything else is waited for. */
async function breakIfStale(lockFile: string, logger: Logger): Promise<boolean> {
  let owner: LockOwner;
  try {
    owner = JSON.parse(await fs.readFile(lockFile, 'utf8')) as LockOwner;
  } catch {
    // Being written right now (only possible with the no-hard-link fallback), or already gone: retry,
    // unless it has stayed unreadable for long, which means its writer died mid-write.
    const st = await fs.stat(lockFile).catch(() => null);
    if (!st || Date.now() - st.mtimeMs < EMPTY_LOCK_GRACE_MS) return false;
    logger.warn({ lockFile }, 'registry.lock.unreadable_broken');
    await fs.rm(lockFile, { force: true });
    return true;
  }
  if (owner.host !== hostname() || isAlive(owner.pid)) return false;
  logger.warn({ lockFile, owner }, 'registry.lock.stale_broken');
  await fs.rm(lockFile, { force: true });
  return true;
}

/**
 * Creates the lock file with its owner already inside: write a private temp file, then link(2) it to the
 * lock name, which fails with EEXIST if another process holds it. A process killed at any point leaves
 * either no lock or a complete one whose pid can be checked, never an empty lock nobody can judge.
 */
async function tryAcquire(lockFile: string): Promise<boolean> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), at: new Date().toISOString() };
  const temp = tempName(lockFile);
  await fs.writeFile(temp, JSON.stringify(owner), { flag: 'wx' });
  try {
    await fs.link(temp, lockFile);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links (some FUSE/SMB mounts): plain O_EXCL create, with a tiny window where the file is empty.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') return acquireByCreate(lockFile, owner);
    throw err;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function acquireByCreate(lockFile: string, owner: LockOwner): Promise<boolean> {
  try {
    await fs.writeFile(lockFile, JSON.stringify(owner), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export interface LockOptions {
  timeoutMs?: number;
  logger: Logger;
}

/**
 * Runs `fn` while holding an exclusive lock file (created atomically, so exactly one process wins).
 * Waiting polls with a short backoff: there is no portable event for "another process released a file".
 */
export async function withLock<T>(lockFile: string, o: LockOptions, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const started = performance.now();
  let wait = 5;
  for (;;) {
    if (await tryAcquire(lockFile)) break;
    if (await breakIfStale(lockFile, o.logger)) continue;
    const waited = performance.now() - started;
    if (waited > timeoutMs) throw new RegistryLockTimeoutError(lockFile, Math.round(waited));
    await delay(wait);
    wait = Math.min(wait * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}
