/**
 * Binary classification metrics, pure. Positive class = PNEUMONIA (label 1); `scores` are P(PNEUMONIA).
 * Undefined ratios (0/0: no predicted positives, no positives, no negatives) are 0, as scikit-learn's
 * zero_division=0; AUC is null when only one class is present (it is undefined there).
 */
export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

export interface Metrics {
  accuracy: number;
  precision: number;
  recall: number;
  specificity: number;
  f1: number;
  auc: number | null;
  n: number;
  threshold: number;
  /** [[tn, fp], [fn, tp]]: rows = true NORMAL/PNEUMONIA, columns = predicted. */
  confusion_matrix: [[number, number], [number, number]];
  roc: RocPoint[];
  /** Expected calibration error of the probabilities (10 equal-width bins); absent in older model folders. */
  ece?: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function checkInputs(labels: readonly number[], scores: readonly number[]): void {
  if (labels.length !== scores.length) throw new RangeError(`labels (${labels.length}) and scores (${scores.length}) differ in length`);
  for (const l of labels) if (l !== 0 && l !== 1) throw new RangeError(`labels must be 0 or 1 (got ${l})`);
}

export function confusionMatrix(labels: readonly number[], scores: readonly number[], threshold = 0.5): Metrics['confusion_matrix'] {
  checkInputs(labels, scores);
  let tn = 0, fp = 0, fn = 0, tp = 0; // prettier-ignore
  labels.forEach((y, i) => {
    const predicted = (scores[i] as number) >= threshold ? 1 : 0;
    if (y === 1) predicted === 1 ? tp++ : fn++;
    else predicted === 1 ? fp++ : tn++;
  });
  return [[tn, fp], [fn, tp]];
}

/** ROC AUC as the Mann-Whitney U statistic with average ranks for ties (= sklearn's roc_auc_score). */
export function rocAuc(labels: readonly number[], scores: readonly number[]): number | null {
  checkInputs(labels, scores);
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (labels[(order[k] as readonly [number, number])[1]] === 1) {
        rankSumPos += avgRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = labels.length - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** ROC points at each distinct score, descending; the first point (0,0) has threshold max+1 as sklearn did. */
export function rocCurve(labels: readonly number[], scores: readonly number[]): RocPoint[] {
  checkInputs(labels, scores);
  const nPos = labels.filter((l) => l === 1).length;
  const nNeg = labels.length - nPos;
  const order = scores.map((s, i) => [s, labels[i] as number] as const).sort((a, b) => b[0] - a[0]);
  const top = order.length > 0 ? (order[0] as readonly [number, number])[0] + 1 : 1;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: top }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    const [score, label] = order[i] as readonly [number, number];
    if (label === 1) tp++;
    else fp++;
    const next = order[i + 1];
    if (next === undefined || next[0] !== score) points.push({ fpr: ratio(fp, nNeg), tpr: ratio(tp, nPos), threshold: score });
  }
  return points;
}

export function computeMetrics(labels: readonly number[], scores: readonly number[], threshold = 0.5): Metrics {
  const cm = confusionMatrix(labels, scores, threshold);
  const [[tn, fp], [fn, tp]] = cm;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    accuracy: ratio(tp + tn, labels.length),
    precision,
    recall,
    specificity: ratio(tn, tn + fp),
    f1: ratio(2 * precision * recall, precision + recall),
    auc: rocAuc(labels, scores),
    n: labels.length,
    threshold,
    confusion_matrix: cm,
    roc: rocCurve(labels, scores),
    ece: reliability(labels, scores).ece,
  };
}

/** DVC's metrics file format: flat numbers only (the ROC curve and the matrix go to plots). */
export function flatMetrics(m: Metrics): Record<string, number> {
  const [[tn, fp], [fn, tp]] = m.confusion_matrix;
  const flat: Record<string, number> = {
    accuracy: m.accuracy, precision: m.precision, recall: m.recall, specificity: m.specificity, f1: m.f1, // prettier-ignore
    n: m.n, threshold: m.threshold, tn, fp, fn, tp, // prettier-ignore
  };
  if (m.auc !== null) flat.auc = m.auc;
  if (m.ece !== undefined) flat.ece = m.ece;
  return flat;
}

export interface McNemarResult {
  /** Items model A got right and model B got wrong. */
  b: number;
  /** Items model A got wrong and model B got right. */
  c: number;
  /** min(b, c) for the exact test; the continuity-corrected chi-square otherwise. */
  statistic: number;
  p_value: number;
  method: 'exact' | 'chi2';
}

/**
 * McNemar's test on paired correctness (a[i], b[i]: did model A / B classify item i correctly). Exact two-sided
 * binomial when the discordant count b + c is below `exactBelow` (25, the usual rule), chi-square with
 * Edwards' continuity correction otherwise.
 */
export function mcnemar(a: readonly boolean[], b: readonly boolean[], exactBelow = 25): McNemarResult {
  if (a.length !== b.length) throw new RangeError(`paired results differ in length (${a.length} vs ${b.length})`);
  let nb = 0;
  let nc = 0;
  a.forEach((ai, i) => {
    if (ai && !b[i]) nb++;
    else if (!ai && b[i]) nc++;
  });
  const n = nb + nc;
  if (n === 0) return { b: 0, c: 0, statistic: 0, p_value: 1, method: 'exact' };
  if (n < exactBelow) {
    const k = Math.min(nb, nc);
    let tail = 0;
    for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
    return { b: nb, c: nc, statistic: k, p_value: Math.min(1, 2 * tail), method: 'exact' };
  }
  const statistic = (Math.abs(nb - nc) - 1) ** 2 / n;
  return { b: nb, c: nc, statistic, p_value: erfc(Math.sqrt(statistic / 2)), method: 'chi2' };
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** Complementary error function (Numerical Recipes erfcc, |error| < 1.2e-7): chi2(1 df) survival = erfc(sqrt(x/2)). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface ReliabilityBin {
  /** Bin edges on P(PNEUMONIA). */
  lo: number;
  hi: number;
  count: number;
  /** Mean predicted P(PNEUMONIA) in the bin, and the fraction that really is PNEUMONIA. */
  confidence: number;
  frequency: number;
}

/** Reliability diagram (equal-width bins) and expected calibration error: sum over bins of |freq - conf| * share. */
export function reliability(labels: readonly number[], scores: readonly number[], bins = 10): { ece: number; bins: ReliabilityBin[] } {
  const out: ReliabilityBin[] = Array.from({ length: bins }, (_, b) => ({ lo: b / bins, hi: (b + 1) / bins, count: 0, confidence: 0, frequency: 0 }));
  scores.forEach((s, i) => {
    const bin = out[Math.min(bins - 1, Math.max(0, Math.floor(s * bins)))] as ReliabilityBin;
    bin.count++;
    bin.confidence += s;
    bin.frequency += labels[i] as number;
  });
  let ece = 0;
  for (const b of out) {
    if (b.count === 0) continue;
    b.confidence /= b.count;
    b.frequency /= b.count;
    ece += (Math.abs(b.frequency - b.confidence) * b.count) / Math.max(1, scores.length);
  }
  return { ece, bins: out };
}
