/**
 * Retry policy: Airflow's fields and its next_retry_datetime formula, as pure functions.
 * With exponential backoff the delay for failed try n is min = ceil(retryDelay * 2^(n-1)) (at least 1 s),
 * plus a deterministic jitter sha1("dag#task#logical_date#n") % min, capped at 24 h and at maxRetryDelay.
 */
import { createHash } from 'node:crypto';
import { DagDefinitionError } from './errors.js';
import type { TiKey } from './store/rows.js';
import type { AttemptEnd } from './store/store.js';

export const MAX_RETRY_DELAY_S = 24 * 60 * 60;

export interface RetryPolicy {
  retries: number;
  /** Seconds (Airflow default 300). */
  retryDelay: number;
  retryExponentialBackoff: boolean;
  /** Seconds; caps the backoff. */
  maxRetryDelay: number | undefined;
}

/** Validates the policy once at DAG load; messages name the field and the task. */
export function validateRetryPolicy(p: RetryPolicy, where: string): void {
  const bad = (field: string, why: string): never => {
    throw new DagDefinitionError(`${where}: ${field} ${why}`);
  };
  if (!Number.isInteger(p.retries) || p.retries < 0) bad('retries', `must be a whole number >= 0, got ${p.retries}`);
  if (!Number.isFinite(p.retryDelay) || p.retryDelay < 0) bad('retryDelay', `must be seconds >= 0, got ${p.retryDelay}`);
  if (p.maxRetryDelay !== undefined && (!Number.isFinite(p.maxRetryDelay) || p.maxRetryDelay < 0)) {
    bad('maxRetryDelay', `must be seconds >= 0, got ${p.maxRetryDelay}`);
  }
}

/** str() of Airflow's pendulum logical date, as it hashes it: 2026-01-01T00:00:00+00:00. */
function pyIso(d: Date): string {
  const iso = d.toISOString(); // 2026-01-01T00:00:00.000Z
  const ms = d.getUTCMilliseconds();
  return `${iso.slice(0, 10)}T${iso.slice(11, 19)}${ms ? `.${String(ms * 1000).padStart(6, '0')}` : ''}+00:00`;
}

/** Seconds to wait after failed try `tryNumber` (1-based) before the next try. */
export function retryDelaySeconds(
  p: RetryPolicy,
  ti: { dagId: string; taskId: string; logicalDate: Date; tryNumber: number },
): number {
  if (!p.retryExponentialBackoff) return p.retryDelay;
  let minBackoff = Math.ceil(p.retryDelay * 2 ** (ti.tryNumber - 1));
  if (!Number.isFinite(minBackoff) || minBackoff > MAX_RETRY_DELAY_S) minBackoff = MAX_RETRY_DELAY_S;
  if (minBackoff < 1) minBackoff = 1;
  const hex = createHash('sha1').update(`${ti.dagId}#${ti.taskId}#${pyIso(ti.logicalDate)}#${ti.tryNumber}`).digest('hex');
  const modded = minBackoff + Number(BigInt(`0x${hex}`) % BigInt(minBackoff));
  let delay = Math.min(modded, MAX_RETRY_DELAY_S);
  if (p.maxRetryDelay !== undefined && p.maxRetryDelay > 0) delay = Math.min(delay, p.maxRetryDelay);
  return delay;
}

/** When the next try may start, from the failed attempt's end. */
export function nextRetryAt(
  p: RetryPolicy,
  ti: { dagId: string; taskId: string; logicalDate: Date; tryNumber: number; endDate: Date },
): Date {
  return new Date(ti.endDate.getTime() + retryDelaySeconds(p, ti) * 1000);
}

/** Airflow: a failed try is retried while try_number <= max_tries (max_tries = retries, bumped by clear). */
export function shouldRetry(tryNumber: number, maxTries: number, nonRetryable: boolean): boolean {
  return !nonRetryable && tryNumber <= maxTries;
}

/** What an attempt's outcome becomes in the store: a failed try with tries left is up_for_retry, due at nextRetryAt. */
export function attemptEnd(
  a: { key: TiKey; tryNumber: number; maxTries: number; retryPolicy: RetryPolicy; logicalDate: Date },
  outcome: 'success' | 'failed' | 'skipped',
  o: { nonRetryable: boolean; at: Date; xcoms?: AttemptEnd['xcoms']; skip?: string[] },
): AttemptEnd {
  const retry = outcome === 'failed' && shouldRetry(a.tryNumber, a.maxTries, o.nonRetryable);
  const at = retry ? nextRetryAt(a.retryPolicy, { logicalDate: a.logicalDate, tryNumber: a.tryNumber, endDate: o.at, ...a.key }) : undefined;
  return {
    key: a.key,
    tryNumber: a.tryNumber,
    state: retry ? 'up_for_retry' : outcome,
    nextRetryAt: at ? at.toISOString() : null,
    xcoms: o.xcoms ?? [],
    skip: o.skip ?? [],
    endedAt: o.at.toISOString(),
  };
}
