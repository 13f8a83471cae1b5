import path from 'node:path';
import type { ModelVersion } from '../registry/types.js';

/** Which model folder to serve, and what the registry says about it. */
export interface ModelRef {
  dir: string;
  /** Registry version, or null for a plain model folder. */
  version: number | null;
  /** When this version last became champion, if ever. */
  promotedAt: string | null;
}

/** The part of the registry (src/registry) the server needs; the real `Registry` satisfies it. */
export interface ChampionRegistry {
  champion(): Promise<ModelVersion | null>;
  list(): Promise<ModelVersion[]>;
  get(version: number): Promise<ModelVersion>;
  watchChampion(cb: (v: ModelVersion | null) => void): () => void;
}

/**
 * Where the served model comes from: the registry's champion (followed as it changes), one pinned
 * registry version, or a model folder given on the command line.
 */
export interface ModelSource {
  /** For logs and the status page: "registry champion", "registry version 3", "folder /x". */
  readonly description: string;
  /** True when the source changes over time and the server should hot-reload. */
  readonly follows: boolean;
  initial(): Promise<ModelRef | null>;
  /** Calls back with the new target whenever it changes; returns the unsubscribe function. */
  watch(cb: (ref: ModelRef | null) => void): () => void;
  /** The registry's versions for the history page, or null when there is no registry. */
  history(): Promise<ModelVersion[] | null>;
}

export function refOf(v: ModelVersion): ModelRef {
  return { dir: v.dir, version: v.version, promotedAt: v.promoted_at };
}

export function championSource(registry: ChampionRegistry): ModelSource {
  return {
    description: 'registry champion',
    follows: true,
    initial: async () => {
      const v = await registry.champion();
      return v ? refOf(v) : null;
    },
    watch: (cb) => registry.watchChampion((v) => cb(v ? refOf(v) : null)),
    history: () => registry.list(),
  };
}

export function pinnedVersionSource(registry: ChampionRegistry, version: number): ModelSource {
  return {
    description: `registry version ${version}`,
    follows: false,
    initial: async () => refOf(await registry.get(version)),
    watch: () => () => undefined,
    history: () => registry.list(),
  };
}

export function folderSource(dir: string): ModelSource {
  const abs = path.resolve(dir);
  return {
    description: `folder ${abs}`,
    follows: false,
    initial: async () => ({ dir: abs, version: null, promotedAt: null }),
    watch: () => () => undefined,
    history: async () => null,
  };
}
