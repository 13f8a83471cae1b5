import { describe, expect, it } from 'vitest';
import { decide, type EvaluatedModel, type GateConfig } from '../../src/promotion/gate.js';

const gate: GateConfig = { primary_metric: 'auc', min_improvement: 0.005, recall_tolerance: 0.01, min_auc: 0.85, min_recall: 0.8, min_specificity: 0.5 };

function model(m: Partial<EvaluatedModel['metrics']>, hash = 'h1', version: number | null = null): EvaluatedModel {
  return { version, test_set_hash: hash, metrics: { auc: 0.9, accuracy: 0.85, f1: 0.85, recall: 0.9, specificity: 0.8, precision: 0.85, ...m } };
}

describe('promotion gate', () => {
  it('promotes the first candidate when it passes the floors', () => {
    const d = decide(model({}), null, gate);
    expect(d.promote).toBe(true);
    expect(d.reason).toMatch(/no champion yet/);
  });

  it('refuses a first candidate below the recall floor and names the floor', () => {
    const d = decide(model({ recall: 0.7 }), null, gate);
    expect(d.promote).toBe(false);
    expect(d.reason).toContain('recall 0.7000 is below the floor 0.8000');
  });

  it('refuses a first candidate below the AUC floor whatever its threshold', () => {
    const d = decide(model({ auc: 0.8 }), null, gate);
    expect(d.promote).toBe(false);
    expect(d.reason).toContain('auc 0.8000 is below the floor 0.8500');
  });

  it('refuses a candidate whose AUC gain is below the margin', () => {
    const d = decide(model({ auc: 0.903 }), model({ auc: 0.9 }, 'h1', 3), gate);
    expect(d.promote).toBe(false);
    expect(d.checks.find((c) => c.name === 'auc_improvement')?.passed).toBe(false);
  });

  it('promotes a candidate that beats the champion by the margin without losing recall', () => {
    const d = decide(model({ auc: 0.93, recall: 0.895 }), model({ auc: 0.9, recall: 0.9 }, 'h1', 3), gate);
    expect(d.promote).toBe(true);
    expect(d.reason).toContain('v3');
  });

  it('refuses a better-AUC candidate that loses too much recall', () => {
    const d = decide(model({ auc: 0.95, recall: 0.85 }), model({ auc: 0.9, recall: 0.9 }), gate);
    expect(d.promote).toBe(false);
    expect(d.checks.find((c) => c.name === 'recall_not_worse')?.passed).toBe(false);
  });

  it('refuses to compare models evaluated on different test sets', () => {
    const d = decide(model({ auc: 0.99 }, 'h2'), model({}, 'h1'), gate);
    expect(d.promote).toBe(false);
    expect(d.reason).toContain('test sets differ');
  });

  it('refuses NaN metrics', () => {
    expect(decide(model({ auc: Number.NaN }), null, gate).promote).toBe(false);
  });
});
