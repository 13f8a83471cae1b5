/** One registered model version, as `list()`/`get()` return it. */
export interface ModelVersion {
  version: number;
  /** Absolute path of the version's copy of the model folder. */
  dir: string;
  created_at: string;
  /** Where the model folder was copied from. */
  source: string;
  run_id: string | null;
  data_version: string | null;
  metrics: Record<string, unknown>;
  mlflow_run_id: string | null;
  tags: Record<string, string>;
  is_champion: boolean;
  /** Last time this version became champion (promotion or rollback), null if never. */
  promoted_at: string | null;
}

/** `versions/<n>/version.json`: what `register` records next to the copied folder. */
export interface VersionFile {
  version: number;
  created_at: string;
  source: string;
  run_id: string | null;
  data_version: string | null;
  metrics: Record<string, unknown>;
  mlflow_run_id: string | null;
  tags: Record<string, string>;
}

export const PROMOTION_ACTIONS = ['promote', 'rollback'] as const;
export type PromotionAction = (typeof PROMOTION_ACTIONS)[number];

/** One line of promotions.jsonl, and the content of champion.json. */
export interface Promotion {
  version: number;
  previous_version: number | null;
  promoted_at: string;
  promoted_by: string;
  reason: string;
  action: PromotionAction;
}

export interface RegisterInfo {
  runId?: string;
  /** Data version the model was trained on; defaults to metadata.json's data_version. */
  dataVersion?: string | null;
  mlflowRunId?: string;
  tags?: Record<string, string>;
  now?: Date;
}

export interface PromoteOptions {
  by: string;
  reason: string;
  now?: Date;
}

export interface WatchOptions {
  /** Fallback poll interval for file systems where fs.watch misses events (network mounts). Default 5000 ms. */
  pollMs?: number;
  /** Set false to rely on the poll alone (file systems where fs.watch errors or floods). Default true. */
  fsWatch?: boolean;
  /**
   * Also call back once, right away, with the champion at subscription time. Subscribe with this instead of
   * reading champion() first and watching second, which misses a promotion landing in between.
   */
  emitCurrent?: boolean;
}
