/**
 * Trigger rules, Airflow 2's TriggerRuleDep with flag_upstream_failed=True, as a pure function over the
 * counts of upstream states. Decides whether a task instance in state none can run, must wait, or is
 * settled now as skipped / upstream_failed (this is how skips and failures propagate downstream).
 */
import type { TiState } from './states.js';

export const TRIGGER_RULES = [
  'all_success',
  'all_failed',
  'all_done',
  'one_success',
  'one_failed',
  'one_done',
  'none_failed',
  'none_failed_min_one_success',
  'none_skipped',
  'all_skipped',
  'always',
] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

export function isTriggerRule(s: unknown): s is TriggerRule {
  return typeof s === 'string' && (TRIGGER_RULES as readonly string[]).includes(s);
}

export interface UpstreamCounts {
  /** Number of direct upstream tasks. */
  total: number;
  success: number;
  skipped: number;
  failed: number;
  upstreamFailed: number;
  removed: number;
}

export type TriggerDecision =
  | { kind: 'run' }
  | { kind: 'wait'; reason: string }
  | { kind: 'set'; state: 'skipped' | 'upstream_failed'; reason: string };

export function countUpstream(states: Iterable<TiState>): UpstreamCounts {
  const c: UpstreamCounts = { total: 0, success: 0, skipped: 0, failed: 0, upstreamFailed: 0, removed: 0 };
  for (const s of states) {
    c.total++;
    if (s === 'success') c.success++;
    else if (s === 'skipped') c.skipped++;
    else if (s === 'failed') c.failed++;
    else if (s === 'upstream_failed') c.upstreamFailed++;
    else if (s === 'removed') c.removed++;
  }
  return c;
}

const RUN: TriggerDecision = { kind: 'run' };

export function evaluateTriggerRule(rule: TriggerRule, c: UpstreamCounts): TriggerDecision {
  if (c.total === 0 || rule === 'always') return RUN;
  const { success, skipped, failed, upstreamFailed, removed } = c;
  const done = success + skipped + failed + upstreamFailed + removed;
  const allDone = done >= c.total;
  const anyFailed = failed + upstreamFailed > 0;
  const states = `upstream: ${success} success, ${skipped} skipped, ${failed} failed, ${upstreamFailed} upstream_failed, ${c.total - done} not done`;
  const tr = `trigger rule '${rule}'`;
  const set = (state: 'skipped' | 'upstream_failed', why: string): TriggerDecision => ({ kind: 'set', state, reason: `${tr}: ${why} (${states})` });
  const wait = (why: string): TriggerDecision => ({ kind: 'wait', reason: `${tr} ${why} (${states})` });
  switch (rule) {
    case 'all_success':
      if (anyFailed) return set('upstream_failed', 'an upstream task failed');
      if (skipped > 0) return set('skipped', 'an upstream task was skipped');
      return c.total - success > 0 ? wait(`requires all upstream tasks to have succeeded, but found ${c.total - success} non-success(es)`) : RUN;
    case 'all_failed':
      if (success + skipped > 0) return set('skipped', 'an upstream task did not fail');
      return c.total - failed - upstreamFailed > 0
        ? wait(`requires all upstream tasks to have failed, but found ${c.total - failed - upstreamFailed} non-failure(s)`)
        : RUN;
    case 'all_done':
      return allDone ? RUN : wait(`requires all upstream tasks to have completed, but found ${c.total - done} task(s) that were not done`);
    case 'one_success':
      if (allDone && done === skipped) return set('skipped', 'all upstream tasks were skipped');
      if (allDone && success === 0) return set('upstream_failed', 'no upstream task succeeded');
      return success > 0 ? RUN : wait('requires one upstream task success, but none were found');
    case 'one_failed':
      if (allDone && !anyFailed) return set('skipped', 'no upstream task failed');
      return anyFailed ? RUN : wait('requires one upstream task failure, but none were found');
    case 'one_done':
      if (allDone && failed + success === 0) return set('skipped', 'no upstream task succeeded or failed');
      return failed + success > 0 ? RUN : wait('requires at least one upstream task failure or success, but none were found');
    case 'none_failed':
    case 'none_failed_min_one_success': {
      if (anyFailed) return set('upstream_failed', 'an upstream task failed');
      if (rule === 'none_failed_min_one_success' && skipped === c.total) return set('skipped', 'all upstream tasks were skipped');
      const notOk = c.total - success - skipped;
      return notOk > 0 ? wait(`requires all upstream tasks to have succeeded or been skipped, but found ${notOk} non-success(es)`) : RUN;
    }
    case 'none_skipped':
      if (skipped > 0) return set('skipped', 'an upstream task was skipped');
      return allDone ? RUN : wait(`requires all upstream tasks to be done and not skipped, but found ${c.total - done} not done`);
    case 'all_skipped':
      if (success + failed + upstreamFailed > 0) return set('skipped', 'an upstream task was not skipped');
      return c.total - skipped > 0 ? wait(`requires all upstream tasks to have been skipped, but found ${c.total - skipped} non-skipped`) : RUN;
    default: {
      const never: never = rule;
      throw new Error(`unknown trigger rule ${String(never)}`);
    }
  }
}
