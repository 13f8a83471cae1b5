import { watch as fsWatch, mkdirSync, promises as fs, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export interface ChampionWatchSource {
  modelRoot: string;
  championFile: string;
  /** Reads the current champion; its identity (version + promoted_at) decides whether `onChange` fires. */
  read: () => Promise<{ key: string | null; value: unknown }>;
  /**
   * The identity at subscription time, read synchronously so no change can slip in before the baseline.
   * undefined: no baseline, so the first read fires (emitCurrent).
   */
  initialKey: string | null | undefined;
  logger: Logger;
  pollMs: number;
  fsWatch: boolean;
}

/**
 * Calls `onChange` whenever the champion changes. It watches the model folder, not champion.json itself,
 * because an atomic rename replaces the file's inode and a watch on the old inode goes silent.
 * A stat poll backs it up where fs.watch is unreliable (network and container mounts).
 */
export function watchChampionFile<T>(src: ChampionWatchSource, onChange: (value: T) => void): () => void {
  mkdirSync(src.modelRoot, { recursive: true });
  const base = path.basename(src.championFile);
  let closed = false;
  let running = false;
  let again = false;
  let lastStat = '';
  let lastKey: string | null | undefined = src.initialKey;

  const check = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const { key, value } = await src.read();
        if (closed) return;
        if (key !== lastKey) onChange(value as T);
        lastKey = key;
      } while (again && !closed);
    } catch (err) {
      src.logger.warn({ err }, 'registry.watch.read_failed');
    } finally {
      running = false;
    }
  };

  let watcher: FSWatcher | null = null;
  if (src.fsWatch) {
    try {
      watcher = fsWatch(src.modelRoot, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === base) void check();
      });
      watcher.on('error', (err) => src.logger.warn({ err }, 'registry.watch.fs_watch_failed'));
    } catch (err) {
      src.logger.warn({ err }, 'registry.watch.fs_watch_unavailable');
    }
  }

  const poll = setInterval(() => {
    fs.stat(src.championFile).then(
      (s) => `${s.ino}:${s.mtimeMs}:${s.size}`,
      () => 'absent',
    ).then((sig) => {
      if (sig !== lastStat) {
        lastStat = sig;
        void check();
      }
    });
  }, src.pollMs);
  poll.unref();
  if (lastKey === undefined) void check();

  return () => {
    closed = true;
    clearInterval(poll);
    watcher?.close();
  };
}
