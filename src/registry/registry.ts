import { randomBytes } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { appendLineDurable, renameDirDurable, withLock, writeFileAtomic } from './atomic.js';
import { ModelVersionNotFoundError, NoChampionError, NothingToRollBackError } from './errors.js';
import { dropTornTail, historyMatches, readChampionFile, readHistoryFile, rollbackTarget } from './history.js';
import { assertModelFolder, readModelSummary } from './model-folder.js';
import type { ModelVersion, PromoteOptions, Promotion, RegisterInfo, VersionFile, WatchOptions } from './types.js';
import { listVersionNumbers, readVersion, versionView } from './versions.js';
import { watchChampionFile } from './watch.js';

export const DEFAULT_MODEL_NAME = 'pneumonia';

export interface Registry {
  readonly name: string;
  /** `<root>/<name>`: versions/, champion.json, promotions.jsonl. */
  readonly dir: string;
  register(modelDir: string, info?: RegisterInfo): Promise<ModelVersion>;
  list(): Promise<ModelVersion[]>;
  get(version: number): Promise<ModelVersion>;
  champion(): Promise<ModelVersion | null>;
  promote(version: number, o: PromoteOptions): Promise<Promotion>;
  rollback(o: PromoteOptions): Promise<Promotion>;
  history(): Promise<Promotion[]>;
  resolve(ref: string): Promise<{ dir: string; version: number | null }>;
  watchChampion(cb: (v: ModelVersion | null) => void, o?: WatchOptions): () => void;
}

export interface OpenRegistryOptions {
  /** `<home>/registry` */
  root: string;
  name?: string;
  logger: Logger;
  /** How long to wait for another process holding the registry lock. Default 30 s. */
  lockTimeoutMs?: number;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION_REF = /^v?(\d+)$/;

/** Opens (lazily creating) the file-based registry of one model. Safe to use from several processes. */
export function openRegistry(o: OpenRegistryOptions): Registry {
  const name = o.name ?? DEFAULT_MODEL_NAME;
  if (!NAME_RE.test(name)) throw new Error(`invalid model name "${name}": use letters, digits, '.', '_' or '-'`);
  const dir = path.resolve(o.root, name);
  const versionsDir = path.join(dir, 'versions');
  const stagingDir = path.join(dir, '.staging');
  const championFile = path.join(dir, 'champion.json');
  const historyFile = path.join(dir, 'promotions.jsonl');
  const lockFile = path.join(dir, '.lock');
  const logger = o.logger.child({ component: 'registry', model: name });
  const locked = async <T>(fn: () => Promise<T>): Promise<T> => {
    await fs.mkdir(dir, { recursive: true });
    return withLock(lockFile, { timeoutMs: o.lockTimeoutMs, logger }, fn);
  };

  const versionNumbers = (): Promise<number[]> => listVersionNumbers(versionsDir);
  const readVersionFile = (version: number): Promise<VersionFile> => readVersion(versionsDir, name, version);
  const toModelVersion = (v: VersionFile, champ: Promotion | null, history: readonly Promotion[]): ModelVersion =>
    versionView(versionsDir, v, champ, history);

  async function get(version: number): Promise<ModelVersion> {
    const v = await readVersionFile(version);
    return toModelVersion(v, await readChampionFile(championFile), await readHistoryFile(historyFile, logger));
  }

  async function champion(): Promise<ModelVersion | null> {
    const champ = await readChampionFile(championFile);
    return champ ? get(champ.version) : null;
  }

  /** Brings promotions.jsonl in line with champion.json after a crash between the two writes. */
  async function repairHistory(current: Promotion | null): Promise<Promotion[]> {
    await dropTornTail(historyFile, logger);
    const history = await readHistoryFile(historyFile, logger);
    if (current && !historyMatches(history, current)) {
      logger.warn({ champion: current.version }, 'registry.history.repaired');
      await appendLineDurable(historyFile, JSON.stringify(current));
      history.push(current);
    }
    return history;
  }

  async function switchChampion(p: Promotion): Promise<Promotion> {
    // champion.json first: it is what serving reads, and the history is repaired from it if we die in between.
    await writeFileAtomic(championFile, `${JSON.stringify(p, null, 2)}\n`);
    await appendLineDurable(historyFile, JSON.stringify(p));
    logger.info({ version: p.version, previous: p.previous_version, action: p.action, by: p.promoted_by }, `registry.${p.action}`);
    return p;
  }

  return {
    name,
    dir,

    async register(modelDir, info = {}) {
      const source = path.resolve(modelDir);
      await assertModelFolder(source);
      const summary = await readModelSummary(source);
      await fs.mkdir(stagingDir, { recursive: true });
      await fs.mkdir(versionsDir, { recursive: true });
      // Copy outside the lock (it is the slow part), into a private staging folder nobody lists.
      const stage = path.join(stagingDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
      try {
        await fs.cp(source, stage, { recursive: true, errorOnExist: true });
        await assertModelFolder(stage);
        const version = await locked(async () => {
          const n = ((await versionNumbers()).at(-1) ?? 0) + 1;
          const record: VersionFile = {
            version: n,
            created_at: (info.now ?? new Date()).toISOString(),
            source,
            run_id: info.runId ?? null,
            data_version: info.dataVersion !== undefined ? info.dataVersion : summary.dataVersion,
            metrics: summary.metrics,
            mlflow_run_id: info.mlflowRunId ?? null,
            tags: info.tags ?? {},
          };
          const handle = await fs.open(path.join(stage, 'version.json'), 'wx');
          await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
          await handle.sync();
          await handle.close();
          await renameDirDurable(stage, path.join(versionsDir, String(n)));
          return n;
        });
        logger.info({ version, source }, 'registry.registered');
        return await get(version);
      } catch (err) {
        await fs.rm(stage, { recursive: true, force: true });
        throw err;
      }
    },

    async list() {
      const [numbers, champ, history] = await Promise.all([
        versionNumbers(),
        readChampionFile(championFile),
        readHistoryFile(historyFile, logger),
      ]);
      const files = await Promise.all(
        numbers.map((n) =>
          readVersionFile(n).catch((err: unknown) => {
            // A hand-made or half-deleted versions/<n> must not hide every other version.
            if (!(err instanceof ModelVersionNotFoundError)) throw err;
            logger.warn({ version: n }, 'registry.list.version_without_version_json_skipped');
            return null;
          }),
        ),
      );
      return files.filter((v): v is VersionFile => v !== null).map((v) => toModelVersion(v, champ, history));
    },

    get,

    champion,

    async promote(version, p) {
      return locked(async () => {
        await readVersionFile(version); // ModelVersionNotFoundError before anything changes
        const current = await readChampionFile(championFile);
        await repairHistory(current);
        if (current?.version === version) {
          logger.info({ version }, 'registry.promote.already_champion');
          return current;
        }
        return switchChampion({
          version,
          previous_version: current?.version ?? null,
          promoted_at: (p.now ?? new Date()).toISOString(),
          promoted_by: p.by,
          reason: p.reason,
          action: 'promote',
        });
      });
    },

    async rollback(p) {
      return locked(async () => {
        const current = await readChampionFile(championFile);
        if (!current) throw new NothingToRollBackError(name, null);
        const history = await repairHistory(current);
        const target = rollbackTarget(history, current);
        if (target === null) throw new NothingToRollBackError(name, current.version);
        await readVersionFile(target);
        return switchChampion({
          version: target,
          previous_version: current.version,
          promoted_at: (p.now ?? new Date()).toISOString(),
          promoted_by: p.by,
          reason: p.reason,
          action: 'rollback',
        });
      });
    },

    async history() {
      const history = await readHistoryFile(historyFile, logger);
      const current = await readChampionFile(championFile);
      // Show the truth even before the next write repairs the file.
      return current && !historyMatches(history, current) ? [...history, current] : history;
    },

    async resolve(ref) {
      const trimmed = ref.trim();
      if (trimmed === 'champion') {
        const champ = await champion();
        if (!champ) throw new NoChampionError(name);
        return { dir: champ.dir, version: champ.version };
      }
      const m = VERSION_REF.exec(trimmed);
      if (m) {
        const v = await get(Number(m[1]));
        return { dir: v.dir, version: v.version };
      }
      const folder = path.resolve(trimmed);
      await assertModelFolder(folder);
      return { dir: folder, version: null };
    },

    watchChampion(cb, w = {}) {
      const keyOf = (p: Promotion | null): string | null => (p ? `${p.version}@${p.promoted_at}` : null);
      let initial: Promotion | null = null;
      try {
        initial = JSON.parse(readFileSync(championFile, 'utf8')) as Promotion;
      } catch {
        initial = null;
      }
      return watchChampionFile<ModelVersion | null>(
        {
          modelRoot: dir,
          championFile,
          initialKey: w.emitCurrent ? undefined : keyOf(initial),
          logger,
          pollMs: w.pollMs ?? 5000,
          fsWatch: w.fsWatch ?? true,
          read: async () => {
            const champ = await readChampionFile(championFile);
            return { key: keyOf(champ), value: champ ? await get(champ.version) : null };
          },
        },
        cb,
      );
    },
  };
}
