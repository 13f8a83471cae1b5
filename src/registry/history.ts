import { promises as fs } from 'node:fs';
import type { Logger } from 'pino';
import { CorruptRegistryFileError } from './errors.js';
import { PROMOTION_ACTIONS, type Promotion } from './types.js';

function isPromotion(v: unknown): v is Promotion {
  const p = v as Partial<Promotion> | null;
  return (
    typeof p === 'object' && p !== null && typeof p.version === 'number' && typeof p.promoted_at === 'string' &&
    PROMOTION_ACTIONS.includes(p.action as Promotion['action'])
  );
}

/** Parses champion.json or one history line; null when absent. */
export async function readChampionFile(file: string): Promise<Promotion | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isPromotion(parsed)) throw new Error('not a promotion record');
    return parsed;
  } catch (cause) {
    throw new CorruptRegistryFileError(file, cause);
  }
}

/**
 * Reads promotions.jsonl. A torn last line (a crash during the append) is dropped with a warning;
 * damage anywhere else is an error, because rollback depends on the order.
 */
export async function readHistoryFile(file: string, logger: Logger): Promise<Promotion[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const out: Promotion[] = [];
  for (const [i, line] of lines.entries()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (cause) {
      if (i === lines.length - 1 && !text.endsWith('\n')) {
        logger.warn({ file, line: i + 1 }, 'registry.history.torn_last_line_ignored');
        break;
      }
      throw new CorruptRegistryFileError(`${file}:${i + 1}`, cause);
    }
    if (!isPromotion(parsed)) throw new CorruptRegistryFileError(`${file}:${i + 1}`, new Error('not a promotion record'));
    out.push(parsed);
  }
  return out;
}

/** Cuts a torn last line (a crash mid-append) so the next append starts on a fresh line. Call under the lock. */
export async function dropTornTail(file: string, logger: Logger): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (text === '' || text.endsWith('\n')) return;
  const keep = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
  logger.warn({ file, dropped_bytes: Buffer.byteLength(text) - keep }, 'registry.history.torn_tail_dropped');
  await fs.truncate(file, keep);
}

/**
 * The champions in the order they took over, as a stack: a promotion pushes, a rollback pops.
 * So promote 1, 2, 3 then rollback twice lands on 1, and a third rollback has nowhere to go.
 */
export function championStack(history: readonly Promotion[]): number[] {
  const stack: number[] = [];
  for (const p of history) {
    switch (p.action) {
      case 'promote':
        if (stack.at(-1) !== p.version) stack.push(p.version);
        break;
      case 'rollback':
        stack.pop();
        if (stack.at(-1) !== p.version) stack.push(p.version);
        break;
      default: {
        const never: never = p.action;
        throw new Error(`unknown promotion action ${String(never)}`);
      }
    }
  }
  return stack;
}

/** Where a rollback from `current` goes, or null when `current` was the first champion. */
export function rollbackTarget(history: readonly Promotion[], current: Promotion): number | null {
  const stack = championStack(history);
  // History and champion.json disagree only after a crash between the two writes; trust champion.json.
  if (stack.at(-1) !== current.version) return current.previous_version;
  return stack.at(-2) ?? null;
}

/** True when the history's last entry is the record in champion.json. */
export function historyMatches(history: readonly Promotion[], current: Promotion): boolean {
  const last = history.at(-1);
  return last !== undefined && last.version === current.version && last.promoted_at === current.promoted_at;
}
