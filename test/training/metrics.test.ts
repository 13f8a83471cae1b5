import { describe, expect, it } from 'vitest';
import { computeMetrics, confusionMatrix, flatMetrics, mcnemar, rocAuc, rocCurve } from '../../src/training/metrics.js';

describe('metrics', () => {
  // 4 positives, 4 negatives; at 0.5: tp=3 (0.9, 0.8, 0.6), fn=1 (0.3), fp=1 (0.7), tn=3 (0.1, 0.2, 0.4).
  const labels = [1, 1, 1, 1, 0, 0, 0, 0];
  const scores = [0.9, 0.8, 0.6, 0.3, 0.7, 0.1, 0.2, 0.4];

  it('matches hand-computed values at the default threshold', () => {
    const m = computeMetrics(labels, scores);
    expect(m.confusion_matrix).toEqual([[3, 1], [1, 3]]);
    expect(m.accuracy).toBe(0.75);
    expect(m.precision).toBe(0.75);
    expect(m.recall).toBe(0.75);
    expect(m.specificity).toBe(0.75);
    expect(m.f1).toBe(0.75);
    // Pairs (pos, neg) ranked correctly: 0.9, 0.8 beat all 4; 0.6 beats 3; 0.3 beats 2 => 13/16.
    expect(m.auc).toBeCloseTo(13 / 16, 12);
    expect(m.n).toBe(8);
  });

  it('moves the decision with the threshold', () => {
    const m = computeMetrics(labels, scores, 0.75);
    expect(m.confusion_matrix).toEqual([[4, 0], [2, 2]]);
    expect(m.precision).toBe(1);
    expect(m.recall).toBe(0.5);
    expect(m.specificity).toBe(1);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    expect(m.threshold).toBe(0.75);
  });

  it('counts a score equal to the threshold as positive', () => {
    expect(confusionMatrix([1, 0], [0.5, 0.5], 0.5)).toEqual([[0, 1], [0, 1]]);
  });

  it('gives ties half credit in the AUC', () => {
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    // One tie between a positive and a negative at 0.6: (1 + 1 + 0.5 + 1) / 4.
    expect(rocAuc([1, 1, 0, 0], [0.9, 0.6, 0.6, 0.1])).toBe(0.875);
  });

  it('draws the ROC curve from (0,0) to (1,1), one point per distinct score', () => {
    const roc = rocCurve([1, 1, 0, 0], [0.9, 0.6, 0.6, 0.1]);
    expect(roc.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [0, 0.5], [0.5, 1], [1, 1]]);
    expect(roc[0]?.threshold).toBeCloseTo(1.9, 12);
    expect(roc.map((p) => p.threshold).slice(1)).toEqual([0.9, 0.6, 0.1]);
  });

  it('handles one class only: AUC undefined, 0/0 ratios are 0', () => {
    const m = computeMetrics([0, 0, 0], [0.1, 0.2, 0.9]);
    expect(m.auc).toBeNull();
    expect(m.recall).toBe(0);
    expect(m.precision).toBe(0);
    expect(m.specificity).toBeCloseTo(2 / 3, 12);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(flatMetrics(m)).not.toHaveProperty('auc');
    expect(computeMetrics([1, 1], [0.7, 0.8]).recall).toBe(1);
  });

  it('handles all-tied scores and empty input', () => {
    const m = computeMetrics([1, 0, 1], [0.5, 0.5, 0.5]);
    expect(m.auc).toBe(0.5);
    expect(m.roc.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [1, 1]]);
    const empty = computeMetrics([], []);
    expect(empty.n).toBe(0);
    expect(empty.accuracy).toBe(0);
    expect(empty.auc).toBeNull();
  });

  it('rejects mismatched lengths and non-binary labels', () => {
    expect(() => computeMetrics([1], [0.1, 0.2])).toThrow(RangeError);
    expect(() => computeMetrics([2], [0.1])).toThrow(/0 or 1/);
  });

  it('flattens to DVC metrics with the matrix cells', () => {
    const flat = flatMetrics(computeMetrics(labels, scores));
    expect(flat).toMatchObject({ tn: 3, fp: 1, fn: 1, tp: 3, accuracy: 0.75, n: 8 });
    expect(Object.values(flat).every((v) => typeof v === 'number')).toBe(true);
  });
});

describe('mcnemar', () => {
  it('uses the exact binomial test for few discordant pairs', () => {
    // b = 5 (A right, B wrong), c = 1: p = 2 * P(X <= 1 | n=6, 0.5) = 2 * 7/64.
    const a = [true, true, true, true, true, false, true, false];
    const b = [false, false, false, false, false, true, true, false];
    const r = mcnemar(a, b);
    expect(r).toMatchObject({ b: 5, c: 1, statistic: 1, method: 'exact' });
    expect(r.p_value).toBeCloseTo(14 / 64, 12);
  });

  it('uses chi-square with continuity correction for many', () => {
    // b = 30, c = 10: statistic = (|30-10| - 1)^2 / 40 = 9.025, p = 0.002663 (scipy chi2.sf(9.025, 1)).
    const a = [...Array(30).fill(true), ...Array(10).fill(false), ...Array(5).fill(true)];
    const b = [...Array(30).fill(false), ...Array(10).fill(true), ...Array(5).fill(true)];
    const r = mcnemar(a, b);
    expect(r.method).toBe('chi2');
    expect(r.statistic).toBeCloseTo(9.025, 10);
    expect(r.p_value).toBeCloseTo(0.0026633, 5);
  });

  it('returns p = 1 when the models never disagree, and caps the exact p at 1', () => {
    expect(mcnemar([true, false], [true, false])).toMatchObject({ b: 0, c: 0, p_value: 1 });
    expect(mcnemar([true, false], [false, true]).p_value).toBe(1);
    expect(() => mcnemar([true], [])).toThrow(RangeError);
  });
});
