/**
 * An attempt run by its owner (Airflow's LocalTaskJob): the process that runs an attempt records its start,
 * its heartbeats and its end in the store itself, each fenced by (dag_id, run_id, task_id, try_number), so
 * the scheduler's death costs nothing and a late or duplicate report can never overwrite a newer try. A
 * heartbeat that finds the state changed from outside (cleared, marked, the run timed out) aborts the attempt.
 */
import type { Clock } from '../clock.js';
import { AttemptTerminatedError, coerceError } from '../errors.js';
import { attemptEnd } from '../retry.js';
import type { TiState } from '../states.js';
import type { Store } from '../store/store.js';
import type { AttemptJob, AttemptResult } from './types.js';

export interface OwnerDeps {
  store: Store;
  clock: Clock;
  pid: number;
  hostname: string;
  /** Aborts the attempt from the caller's side (executionTimeout, the worker stopping). */
  signal?: AbortSignal;
  /** Milliseconds a terminated attempt gets to stop before ownAttempt gives up waiting for it (default 2000). */
  graceMs?: number;
  /** Told once the start is recorded, right before the task's code runs. */
  onStarted?: () => void;
}

export type Owned =
  /** Never started: the task instance was no longer this scheduler's queued try. */
  | { kind: 'refused'; why: string }
  /** It ran; `state` is what was recorded (undefined: the end was refused, e.g. its state changed meanwhile). */
  | { kind: 'ended'; state: TiState | undefined; skip: string[] }
  /**
   * Its state was set from outside while it ran, and it was aborted (`stopped`: false if it ignored that past
   * the grace period). Nothing is recorded: what it started must be killed first, then its end recorded
   * (a cleared attempt, restarting, goes back to none only then, so two tries never overlap).
   */
  | { kind: 'terminated'; state: string; stopped: boolean };

export async function ownAttempt(job: AttemptJob, deps: OwnerDeps, run: (signal: AbortSignal) => Promise<AttemptResult>): Promise<Owned> {
  const key = { dagId: job.dagId, runId: job.runId, taskId: job.taskId };
  const ref = { key, tryNumber: job.tryNumber };
  const now = (): string => deps.clock.now().toISOString();
  try {
    deps.store.startAttempt({ ...ref, queuedBy: job.queuedBy }, { pid: deps.pid, hostname: deps.hostname }, now());
  } catch (e) {
    return { kind: 'refused', why: coerceError(e).message };
  }
  deps.onStarted?.();

  const own = new AbortController();
  const signal = deps.signal ? AbortSignal.any([deps.signal, own.signal]) : own.signal;
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
    own.abort(new AttemptTerminatedError(hb.state));
    setTimeout(() => giveUp(undefined), deps.graceMs ?? 2000).unref();
  }, job.heartbeatS * 1000);
  beat.unref();

  const result = await Promise.race([run(signal), gaveUp]);
  clearInterval(beat);
  if (terminated !== undefined) return { kind: 'terminated', state: terminated, stopped: result !== undefined };
  const r = result!;
  const at = deps.clock.now();
  const end = attemptEnd({ ...ref, maxTries: job.maxTries, retryPolicy: job.retryPolicy, logicalDate: new Date(job.logicalDate) }, r.outcome, {
    nonRetryable: r.error?.nonRetryable ?? false,
    at,
    xcoms: r.xcoms,
    skip: r.skip,
  });
  const [outcome] = deps.store.endAttempts([end], at.toISOString());
  const recorded = outcome && 'state' in outcome ? outcome.state : undefined;
  return { kind: 'ended', state: recorded, skip: recorded === undefined ? [] : end.skip };
}
