/**
 * Runs the API queued, driven by the web server itself while no scheduler is alive, as `dagctl trigger
 * --wait` does (engine.waitForRun: it takes the database's run-driver lock, or watches whoever holds it).
 * In the background: the request that queued the run has long been answered. close() stops them all and
 * waits, so a closed server leaves no attempt or worker running.
 */
import type { WebContext } from '../context.js';

export class RunDriver {
  readonly #ctx: WebContext;
  readonly #stop = new AbortController();
  readonly #driving = new Map<string, Promise<void>>();

  constructor(ctx: WebContext) {
    this.#ctx = ctx;
  }

  /** Runs being driven (or waited for) by this server now. */
  get active(): number {
    return this.#driving.size;
  }

  /** Drives the run to its end here unless a scheduler is alive (it will) or this run is driven already. */
  drive(dagId: string, runId: string): void {
    const key = `${dagId}\0${runId}`;
    if (this.#stop.signal.aborted || this.#driving.has(key) || this.#ctx.engine.schedulerAlive()) return;
    const log = this.#ctx.logger.child({ dagId, runId });
    log.info('no scheduler is alive: the web server drives this run');
    const done = this.#ctx.engine
      .waitForRun(dagId, runId, { signal: this.#stop.signal })
      .then(
        (run) => log.info({ state: run.state }, 'run driven by the web server ended'),
        (e: unknown) => {
          const err = e as { code?: string; message?: string };
          if (err.code === 'dag_paused') log.info(`${err.message}; it starts when the DAG is unpaused`);
          else log.error({ err: e }, 'driving the run failed');
        },
      )
      .finally(() => this.#driving.delete(key));
    this.#driving.set(key, done);
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#driving.values()]);
  }
}
