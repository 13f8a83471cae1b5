import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ServeMetrics } from './metrics.js';
import type { ModelHolder } from './model-holder.js';
import type { ServedModel } from './model.js';
import type { ModelRef } from './source.js';

export interface ReloadFailure {
  version: number | null;
  dir: string;
  message: string;
  at: string;
}

export interface ReloaderEvents {
  loaded: [model: ServedModel];
  refused: [failure: ReloadFailure];
}

/**
 * Switches the served model. Loads happen one at a time; requests that arrive during a load
 * coalesce into "load the latest target next". A load that fails leaves the current model in
 * place and is remembered (status, metrics, log); a version already refused is not retried,
 * since registry versions never change after registration.
 */
export class Reloader extends EventEmitter<ReloaderEvents> {
  private wanted: ModelRef | null = null;
  private draining = false;
  private done: Promise<void> = Promise.resolve();
  private refusedKey: string | null = null;
  lastFailure: ReloadFailure | null = null;
  /** The error behind `lastFailure` (a ModelLoadError with its cause), for callers that rethrow it. */
  lastError: unknown = null;

  constructor(
    private readonly o: {
      holder: ModelHolder<ServedModel>;
      load: (ref: ModelRef) => Promise<ServedModel>;
      metrics: ServeMetrics;
      logger: Logger;
      now?: () => Date;
    },
  ) {
    super();
  }

  /** True while a model is being loaded. */
  get loading(): boolean {
    return this.draining;
  }

  /** Resolves when no load is in progress. */
  settled(): Promise<void> {
    return this.done;
  }

  /** Asks for `ref` to be served; resolves once it is served or refused. */
  request(ref: ModelRef | null): Promise<void> {
    if (ref === null) {
      this.o.logger.warn('serve.reload.no_champion: the registry has no champion; keeping the current model');
      return this.done;
    }
    this.wanted = ref;
    if (!this.draining) {
      this.draining = true;
      this.done = this.drain();
    }
    return this.done;
  }

  private async drain(): Promise<void> {
    try {
      while (this.wanted) {
        const ref = this.wanted;
        this.wanted = null;
        const current = this.o.holder.current;
        if ((current && keyOf(current.ref) === keyOf(ref)) || this.refusedKey === keyOf(ref)) continue;
        await this.loadOne(ref);
      }
    } finally {
      this.draining = false;
    }
  }

  private async loadOne(ref: ModelRef): Promise<void> {
    const { holder, metrics, logger } = this.o;
    try {
      const model = await this.o.load(ref);
      const previous = holder.current;
      holder.swap(model);
      metrics.modelLoads.inc({ result: 'loaded' });
      metrics.modelInfo.reset();
      metrics.modelInfo.set({ version: ref.version === null ? '' : String(ref.version), dir: ref.dir }, 1);
      logger.info({ version: ref.version, previous_version: previous?.ref.version ?? null, dir: ref.dir }, 'serve.model.swapped');
      this.emit('loaded', model);
    } catch (err) {
      this.refusedKey = keyOf(ref);
      const failure: ReloadFailure = {
        version: ref.version,
        dir: ref.dir,
        message: err instanceof Error ? err.message : String(err),
        at: (this.o.now?.() ?? new Date()).toISOString(),
      };
      this.lastFailure = failure;
      this.lastError = err;
      metrics.modelLoads.inc({ result: 'refused' });
      metrics.modelLoadFailures.inc();
      logger.error({ err, version: ref.version, dir: ref.dir, serving: holder.current?.ref.version ?? null }, 'serve.model.refused');
      this.emit('refused', failure);
    }
  }
}

function keyOf(ref: ModelRef): string {
  return `${ref.version ?? ''}@${ref.dir}`;
}
