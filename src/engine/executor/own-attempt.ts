/**
 * An attempt run by its owner (Airflow's LocalTaskJob): the process that runs an attempt records its start,
 * its heartbeats and its end in the store itself, each fenced by (dag_id, run_id, task_id, try_number), so
 * the scheduler's death costs nothing and a late or duplicate report can never overwrite a newer try. A
 * heartbeat that finds the state changed from outside (cleared, marked, the run timed out) aborts the attempt.
 */
import type { Clock } from '../clock.js';
import { AttemptTerminatedError, coerceError, IllegalTransitionError } from '../errors.js';
import { attemptEnd } from '../retry.js';
import type { TiState } from '../states.js';
import type { AttemptEnd, Store } from '../store/store.js';
import type { AttemptJob, AttemptResult } from './types.js';

export interface OwnerDeps {
  store: Store;
  clock: Clock;
  pid: number;
  hostname: string;
  /** The attempt's own controller: the caller aborts it (executionTimeout, the worker stopping), and so does a heartbeat that finds its state set from outside. */
  controller: AbortController;
  /** Milliseconds a terminated attempt gets to stop before ownAttempt gives up waiting for it (default 2000). */
  graceMs?: number;
  /** Told once the start is recorded, right before the task's code runs. */
  onStarted?: () => void;
  /**
   * Runs right before the start, inside its transaction on SQLite (a worker records its previous attempt's end
   * with it: one write, not two); what it returns runs once that is committed.
   */
  withStart?: () => (() => void) | undefined;
}

export type Owned =
  /** Never started: the task instance was no longer this scheduler's queued try (or the store failed). */
  | { kind: 'refused'; why: string }
  /** It ran to its end: what to record (by the caller, fenced like the start; see recordEnds). */
  | { kind: 'ran'; end: AttemptEnd }
  /**
   * Its state was set from outside while it ran, and it was aborted (or it ignored that for the grace period).
   * Nothing is recorded: what it started must be killed first, then its end recorded (a cleared attempt,
   * restarting, goes back to none only then, so its next try does not overlap it).
   */
  | { kind: 'terminated'; state: string };

export async function ownAttempt(job: AttemptJob, deps: OwnerDeps, run: (signal: AbortSignal) => Promise<AttemptResult>): Promise<Owned> {
  const key = { dagId: job.dagId, runId: job.runId, taskId: job.taskId, mapIndex: job.mapIndex };
  const ref = { key, tryNumber: job.tryNumber };
  const now = (): string => deps.clock.now().toISOString();
  let refused: string | undefined;
  let committed: (() => void) | undefined;
  const start = (): void => {
    try {
      deps.store.startAttempt({ queuedBy: job.queuedBy, queuedAt: job.queuedAt, ...ref }, { pid: deps.pid, hostname: deps.hostname }, now());
    } catch (e) {
      if (!(e instanceof IllegalTransitionError)) throw e;
      refused = e.message; // one guarded UPDATE that changed nothing: the rest of the transaction stands
    }
  };
  try {
    // On SQLite what withStart writes and the start are one write transaction (its single writer); on
    // PostgreSQL they are statements of their own, each atomic, and a transaction would add two round trips.
    if (deps.store.dialect === 'sqlite') {
      deps.store.transaction(() => {
        committed = deps.withStart?.();
        start();
      });
    } else {
      deps.withStart?.()?.();
      start();
    }
  } catch (e) {
    return { kind: 'refused', why: `could not record its start: ${coerceError(e).message}` }; // its start was not recorded
  }
  committed?.();
  if (refused !== undefined) return { kind: 'refused', why: refused };
  deps.onStarted?.();

  let terminated: string | undefined;
  let giveUp!: (r: undefined) => void;
  const gaveUp = new Promise<undefined>((r) => (giveUp = r));
  const beat = setInterval(() => {
    let hb: ReturnType<Store['heartbeatAttempt']>;
    try {
      hb = deps.store.heartbeatAttempt(ref, now());
    } catch {
      return; // a busy database skips one heartbeat; the zombie threshold is many heartbeats long
    }
    if (hb.owned || terminated !== undefined) return;
    terminated = hb.state;
    deps.controller.abort(new AttemptTerminatedError(hb.state));
    setTimeout(() => giveUp(undefined), deps.graceMs ?? 2000).unref();
  }, job.heartbeatS * 1000);
  beat.unref();

  const failed = (e: unknown): AttemptResult => ({ outcome: 'failed', xcoms: [], skip: [], error: { message: coerceError(e).message, nonRetryable: false } });
  const result = await Promise.race([run(deps.controller.signal).catch(failed), gaveUp]);
  clearInterval(beat);
  if (terminated !== undefined) return { kind: 'terminated', state: terminated };
  const r = result!;
  const end = attemptEnd({ maxTries: job.maxTries, retryPolicy: job.retryPolicy, logicalDate: new Date(job.logicalDate), ...ref }, r.outcome, {
    nonRetryable: r.error?.nonRetryable ?? false,
    at: deps.clock.now(),
    xcoms: r.xcoms,
    skip: r.skip,
  });
  return { kind: 'ran', end };
}

/**
 * Records attempts' ends in one transaction; for each, the state now stored (undefined: refused, a stale
 * report) and the tasks it skipped (none when refused). `announce: false`: see Store.endAttempts.
 */
export function recordEnds(store: Store, ends: readonly AttemptEnd[], now: string, o?: { announce?: boolean }): Array<{ end: AttemptEnd; state: TiState | undefined; skip: string[] }> {
  const outcomes = store.endAttempts(ends, now, o);
  return outcomes.map((o, i) => {
    const end = ends[i]!;
    return 'state' in o ? { end, state: o.state, skip: end.skip } : { end, state: undefined, skip: [] };
  });
}
