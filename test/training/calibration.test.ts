import { describe, expect, it } from 'vitest';
import { calibrate, chooseThreshold, crossFittedMetrics, reliability } from '../../src/training/calibration.js';
import { computeMetrics } from '../../src/training/metrics.js';
import { learningRateAt } from '../../src/training/lr-schedule.js';

describe('choosing the decision threshold', () => {
  // A shifted deployment distribution: every NORMAL scores high, but still below most PNEUMONIA.
  const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
  const scores = [0.55, 0.6, 0.7, 0.8, 0.92, 0.85, 0.95, 0.96, 0.97, 0.99];

  it('maximises balanced accuracy with a cut halfway between two scores', () => {
    const c = chooseThreshold(labels, scores, 'balanced_accuracy');
    // Cut at (0.8 + 0.85) / 2: NORMALs 0.55..0.8 right (4/5), every PNEUMONIA right (5/5) -> 0.9 balanced.
    expect(c.threshold).toBeCloseTo(0.825, 12);
    expect([c.sensitivity, c.specificity]).toEqual([1, 0.8]);
    const m = computeMetrics(labels, scores, c.threshold);
    expect((m.recall + m.specificity) / 2).toBeCloseTo(0.9, 12);
    // At 0.5 the same scores call every NORMAL PNEUMONIA.
    expect(computeMetrics(labels, scores, 0.5).specificity).toBe(0);
  });

  it('keeps the required sensitivity with min_sensitivity and prefers specificity beyond it', () => {
    const strict = chooseThreshold(labels, scores, 'min_sensitivity', 1);
    expect(strict.sensitivity).toBe(1);
    expect(strict.threshold).toBeCloseTo(0.825, 12);
    const loose = chooseThreshold(labels, scores, 'min_sensitivity', 0.8);
    // Dropping the PNEUMONIA at 0.85 buys nothing; dropping it AND passing 0.92 gives specificity 1.
    expect(loose.sensitivity).toBeGreaterThanOrEqual(0.8);
    expect(loose.specificity).toBe(1);
    expect(loose.threshold).toBeCloseTo((0.92 + 0.95) / 2, 12);
  });

  it('refuses a calibration set with one class', () => {
    expect(() => chooseThreshold([1, 1], [0.2, 0.9], 'balanced_accuracy')).toThrow(/both classes/);
  });

  it('estimates out-of-sample accuracy by cross-fitting, never above the in-sample optimum', () => {
    const cf = crossFittedMetrics(labels, scores, 'balanced_accuracy');
    if (!cf) throw new Error('expected an estimate');
    expect(cf.n).toBe(10);
    expect(cf.folds).toBe(2);
    const inSample = chooseThreshold(labels, scores, 'balanced_accuracy');
    expect((cf.sensitivity + cf.specificity) / 2).toBeLessThanOrEqual((inSample.sensitivity + inSample.specificity) / 2 + 1e-12);
  });

  it('has no cross-fitted estimate when a class is too small to split', () => {
    expect(crossFittedMetrics([0, 1, 1], [0.1, 0.8, 0.9], 'balanced_accuracy')).toBeNull();
  });

  it('keeps a fixed threshold and still reports calibration', () => {
    const c = calibrate(labels, scores, { threshold: 0.5, rule: 'balanced_accuracy', minSensitivity: 0.95, split: 'val' });
    expect(c).toMatchObject({ threshold: 0.5, rule: 'fixed', crossfit: null, n: 10, split: 'val' });
    expect(c.val_auc).toBeCloseTo(computeMetrics(labels, scores).auc as number, 12);
  });
});

describe('reliability', () => {
  it('is zero for perfectly calibrated bins and measures the gap otherwise', () => {
    // Bin [0.2, 0.3): predicted 0.25, one of four positive (0.25) -> gap 0; bin [0.9, 1): predicted 0.95, all positive -> 0.05.
    const labels = [1, 0, 0, 0, 1, 1, 1, 1];
    const scores = [0.25, 0.25, 0.25, 0.25, 0.95, 0.95, 0.95, 0.95];
    const r = reliability(labels, scores);
    expect(r.bins).toHaveLength(10);
    expect(r.bins[2]).toMatchObject({ count: 4, confidence: 0.25, frequency: 0.25 });
    expect(r.ece).toBeCloseTo(0.5 * 0.05, 12);
  });
});

describe('learning-rate schedule', () => {
  const t = { learning_rate: 0.001, lr_schedule: 'cosine' as const };
  it('warms up linearly, then follows a half cosine down to 0', () => {
    expect(learningRateAt(t, 0, 100, 10)).toBeCloseTo(0.0001, 12);
    expect(learningRateAt(t, 9, 100, 10)).toBeCloseTo(0.001, 12);
    expect(learningRateAt(t, 10, 100, 10)).toBeCloseTo(0.001, 12);
    expect(learningRateAt(t, 55, 100, 10)).toBeCloseTo(0.0005, 12);
    expect(learningRateAt(t, 100, 100, 10)).toBeCloseTo(0, 12);
  });
  it('stays put when constant', () => {
    expect(learningRateAt({ ...t, lr_schedule: 'constant' }, 70, 100, 0)).toBe(0.001);
  });
});
