/**
 * Choosing the decision threshold, and measuring how well probabilities are calibrated. Pure functions over
 * (label, P(PNEUMONIA)) pairs; the trainer runs them on the validation split, which for the shipped data is a
 * sample of the deployment distribution (Kaggle's test split differs from its train split: at 0.5 a model
 * trained on train calls most deployment NORMALs PNEUMONIA).
 */
import type { ThresholdRule } from '../params/index.js';
import { reliability, rocAuc, type ReliabilityBin } from './metrics.js';

export type { ThresholdRule, ReliabilityBin };
export { reliability };

export interface ThresholdChoice {
  threshold: number;
  rule: ThresholdRule;
  /** Sensitivity and specificity at the threshold on the images it was chosen on (optimistic by construction). */
  sensitivity: number;
  specificity: number;
}

interface Candidate {
  threshold: number;
  sensitivity: number;
  specificity: number;
}

/**
 * Every distinct cut between sorted scores, as the midpoint of two neighbouring distinct scores (so no image
 * sits on the threshold and a tiny float difference cannot flip one), plus both ends.
 */
function candidates(labels: readonly number[], scores: readonly number[]): Candidate[] {
  const pairs = scores.map((s, i) => [s, labels[i] as number] as const).sort((a, b) => a[0] - b[0]);
  const nPos = labels.filter((l) => l === 1).length;
  const nNeg = labels.length - nPos;
  const out: Candidate[] = [];
  // Walking up: everything below the cut is predicted NORMAL.
  let negBelow = 0;
  let posBelow = 0;
  const push = (threshold: number) => out.push({ threshold, sensitivity: nPos ? (nPos - posBelow) / nPos : 0, specificity: nNeg ? negBelow / nNeg : 0 });
  push(0);
  for (let i = 0; i < pairs.length; ) {
    const s = (pairs[i] as readonly [number, number])[0];
    while (i < pairs.length && (pairs[i] as readonly [number, number])[0] === s) {
      if ((pairs[i] as readonly [number, number])[1] === 1) posBelow++;
      else negBelow++;
      i++;
    }
    // Above the top score: every image NORMAL, unless it is 1 (p >= 1 would still be PNEUMONIA there).
    if (i < pairs.length) push((s + (pairs[i] as readonly [number, number])[0]) / 2);
    else if (s < 1) push((s + 1) / 2);
  }
  return out;
}

/**
 * The threshold on P(PNEUMONIA) by `rule`:
 * - `balanced_accuracy`: maximal (sensitivity + specificity) / 2 (Youden's J); ties go to the most sensitive cut.
 * - `min_sensitivity`: the highest specificity whose sensitivity is still >= minSensitivity; ties, most sensitive.
 * Needs both classes.
 */
export function chooseThreshold(labels: readonly number[], scores: readonly number[], rule: ThresholdRule, minSensitivity = 0.95): ThresholdChoice {
  const nPos = labels.filter((l) => l === 1).length;
  if (nPos === 0 || nPos === labels.length) throw new RangeError('choosing a threshold needs images of both classes');
  const all = candidates(labels, scores);
  const eligible = rule === 'min_sensitivity' ? all.filter((c) => c.sensitivity >= minSensitivity) : all;
  const score = (c: Candidate) => (rule === 'min_sensitivity' ? c.specificity : c.sensitivity + c.specificity);
  let best = eligible[0] as Candidate; // threshold 0 (sensitivity 1) is always eligible
  for (const c of eligible) {
    if (score(c) > score(best) + 1e-12 || (Math.abs(score(c) - score(best)) <= 1e-12 && c.sensitivity > best.sensitivity)) best = c;
  }
  return { threshold: best.threshold, rule, sensitivity: best.sensitivity, specificity: best.specificity };
}

export interface CrossFitted {
  accuracy: number;
  sensitivity: number;
  specificity: number;
  n: number;
  folds: number;
}

/**
 * An honest estimate of what the threshold rule gives on unseen images of the calibration distribution: split
 * the images into `folds` stratified folds (by sorted index, deterministic), choose the threshold on the other
 * folds and score each fold with it. The threshold shipped is chosen on all images; this estimates its error.
 * Null when a class has fewer images than folds.
 */
export function crossFittedMetrics(labels: readonly number[], scores: readonly number[], rule: ThresholdRule, minSensitivity = 0.95, folds = 2): CrossFitted | null {
  // Every fold's complement must hold both classes.
  if ([0, 1].some((cls) => labels.filter((l) => l === cls).length < folds)) return null;
  const fold = new Array<number>(labels.length);
  for (const cls of [0, 1]) {
    let k = 0;
    labels.forEach((l, i) => {
      if (l === cls) fold[i] = k++ % folds;
    });
  }
  let tp = 0, tn = 0, fp = 0, fn = 0; // prettier-ignore
  for (let f = 0; f < folds; f++) {
    const fit = labels.flatMap((_, i) => (fold[i] === f ? [] : [i]));
    const { threshold } = chooseThreshold(fit.map((i) => labels[i] as number), fit.map((i) => scores[i] as number), rule, minSensitivity);
    labels.forEach((l, i) => {
      if (fold[i] !== f) return;
      const positive = (scores[i] as number) >= threshold;
      if (l === 1) positive ? tp++ : fn++;
      else positive ? fp++ : tn++;
    });
  }
  const n = labels.length;
  return { accuracy: n ? (tp + tn) / n : 0, sensitivity: tp + fn ? tp / (tp + fn) : 0, specificity: tn + fp ? tn / (tn + fp) : 0, n, folds };
}

/** What metadata.json records about the threshold: how it was chosen, on what, and how good it is out of sample. */
export interface Calibration {
  threshold: number;
  /** 'fixed' = evaluate.threshold was a number, nothing was chosen. */
  rule: ThresholdRule | 'fixed';
  min_sensitivity: number | null;
  /** The split the threshold was chosen on, and its size. */
  split: string;
  n: number;
  val_auc: number | null;
  /** Out-of-sample estimate on the calibration distribution (2-fold cross-fitting); null for a fixed threshold. */
  crossfit: CrossFitted | null;
  ece: number;
  reliability: ReliabilityBin[];
}

/** Chooses (or keeps) the threshold on the calibration split and measures calibration there. */
export function calibrate(
  labels: readonly number[],
  scores: readonly number[],
  o: { threshold: number | 'auto'; rule: ThresholdRule; minSensitivity: number; split: string },
): Calibration {
  const rel = reliability(labels, scores);
  const base = { split: o.split, n: labels.length, val_auc: rocAuc(labels, scores), ece: rel.ece, reliability: rel.bins };
  if (o.threshold !== 'auto') return { threshold: o.threshold, rule: 'fixed', min_sensitivity: null, crossfit: null, ...base };
  const choice = chooseThreshold(labels, scores, o.rule, o.minSensitivity);
  return {
    threshold: choice.threshold,
    rule: o.rule,
    min_sensitivity: o.rule === 'min_sensitivity' ? o.minSensitivity : null,
    crossfit: crossFittedMetrics(labels, scores, o.rule, o.minSensitivity),
    ...base,
  };
}
