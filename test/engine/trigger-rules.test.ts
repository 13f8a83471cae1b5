// Truth tables mirroring airflow/tests/ti_deps/deps/test_trigger_rule_dep.py (flag_upstream_failed=True).
import { describe, expect, it } from 'vitest';
import { countUpstream, evaluateTriggerRule, TRIGGER_RULES, type TriggerRule } from '../../src/engine/trigger-rules.js';

type Outcome = 'run' | 'wait' | 'skipped' | 'upstream_failed';
// [success, skipped, failed, upstream_failed, not done] -> outcome, for 5-ish upstream tasks
type Row = [number, number, number, number, number, Outcome];

const TABLE: Record<TriggerRule, Row[]> = {
  all_success: [
    [2, 0, 0, 0, 0, 'run'],
    [1, 0, 0, 0, 1, 'wait'],
    [1, 1, 0, 0, 0, 'skipped'],
    [1, 0, 1, 0, 0, 'upstream_failed'],
    [1, 0, 0, 1, 1, 'upstream_failed'], // failure propagates at once, even with upstream still running
    [0, 1, 1, 0, 0, 'upstream_failed'], // failure wins over skip
  ],
  all_failed: [
    [0, 0, 2, 0, 0, 'run'],
    [0, 0, 1, 1, 0, 'run'],
    [0, 0, 1, 0, 1, 'wait'],
    [1, 0, 1, 0, 0, 'skipped'],
    [0, 1, 1, 0, 0, 'skipped'],
  ],
  all_done: [
    [1, 1, 1, 1, 0, 'run'],
    [1, 1, 1, 0, 1, 'wait'],
  ],
  one_success: [
    [1, 0, 0, 0, 2, 'run'],
    [0, 0, 1, 0, 1, 'wait'],
    [0, 2, 0, 0, 0, 'skipped'],
    [0, 1, 1, 0, 0, 'upstream_failed'],
    [0, 0, 0, 2, 0, 'upstream_failed'],
  ],
  one_failed: [
    [0, 0, 1, 0, 2, 'run'],
    [0, 0, 0, 1, 1, 'run'],
    [1, 0, 0, 0, 1, 'wait'],
    [2, 1, 0, 0, 0, 'skipped'],
  ],
  one_done: [
    [1, 0, 0, 0, 1, 'run'],
    [0, 0, 1, 0, 1, 'run'],
    [0, 1, 0, 0, 1, 'wait'],
    [0, 1, 0, 1, 0, 'skipped'],
  ],
  none_failed: [
    [1, 1, 0, 0, 0, 'run'],
    [0, 2, 0, 0, 0, 'run'],
    [1, 0, 0, 0, 1, 'wait'],
    [1, 0, 1, 0, 0, 'upstream_failed'],
    [1, 0, 0, 1, 0, 'upstream_failed'],
  ],
  none_failed_min_one_success: [
    [1, 1, 0, 0, 0, 'run'],
    [0, 2, 0, 0, 0, 'skipped'],
    [0, 1, 0, 0, 1, 'wait'],
    [1, 0, 1, 0, 0, 'upstream_failed'],
  ],
  none_skipped: [
    [1, 0, 1, 1, 0, 'run'],
    [1, 0, 0, 0, 1, 'wait'],
    [1, 1, 0, 0, 1, 'skipped'],
  ],
  all_skipped: [
    [0, 2, 0, 0, 0, 'run'],
    [0, 1, 0, 0, 1, 'wait'],
    [1, 1, 0, 0, 0, 'skipped'],
    [0, 1, 1, 0, 0, 'skipped'],
    [0, 1, 0, 1, 0, 'skipped'],
  ],
  always: [
    [0, 0, 0, 0, 3, 'run'],
    [0, 0, 3, 0, 0, 'run'],
  ],
};

function outcome(rule: TriggerRule, [s, sk, f, uf, nd]: Row): Outcome {
  const states = [
    ...Array<'success'>(s).fill('success'),
    ...Array<'skipped'>(sk).fill('skipped'),
    ...Array<'failed'>(f).fill('failed'),
    ...Array<'upstream_failed'>(uf).fill('upstream_failed'),
    ...Array<'running'>(nd).fill('running'),
  ];
  const d = evaluateTriggerRule(rule, countUpstream(states));
  return d.kind === 'set' ? d.state : d.kind;
}

describe('trigger rules (Airflow 2 truth table)', () => {
  it('covers every rule', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...TRIGGER_RULES].sort());
  });
  for (const rule of TRIGGER_RULES) {
    for (const row of TABLE[rule]) {
      const [s, sk, f, uf, nd, want] = row;
      it(`${rule}: ${s} success, ${sk} skipped, ${f} failed, ${uf} upstream_failed, ${nd} not done -> ${want}`, () => {
        expect(outcome(rule, row)).toBe(want);
      });
    }
  }
  it('runs a task without upstream tasks under any rule', () => {
    for (const rule of TRIGGER_RULES) expect(evaluateTriggerRule(rule, countUpstream([])).kind).toBe('run');
  });
  it('explains a wait in Airflow words', () => {
    const d = evaluateTriggerRule('all_success', countUpstream(['success', 'running']));
    expect(d).toMatchObject({ kind: 'wait' });
    expect(d.kind === 'wait' && d.reason).toContain("requires all upstream tasks to have succeeded, but found 1 non-success(es)");
  });
});
