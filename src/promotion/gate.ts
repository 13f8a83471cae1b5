/**
 * The promotion gate: decides whether a candidate model replaces the champion.
 * The seed's rule ("accuracy better than the old model") promotes noise on a test set of a few hundred images,
 * so the default gate asks for a margin on the primary metric, guards sensitivity (a missed pneumonia is the costly
 * error) and specificity with floors, and refuses to compare models evaluated on different test sets.
 */

export const GATE_METRICS = ['auc', 'accuracy', 'f1', 'recall', 'specificity', 'precision'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

export type GateConfig = {
  primary_metric: GateMetric;
  /** The candidate's primary metric must beat the champion's by at least this much. */
  min_improvement: number;
  /** The candidate's recall may be at most this much below the champion's. */
  recall_tolerance: number;
  /** Absolute floors, also applied when there is no champion yet. AUC does not depend on the threshold. */
  min_auc: number;
  min_recall: number;
  min_specificity: number;
}

export type EvaluatedModel = {
  version?: number | null;
  metrics: Record<GateMetric, number>;
  test_set_hash: string;
}

export type GateCheck = {
  name: string;
  passed: boolean;
  detail: string;
}

export type GateDecision = {
  promote: boolean;
  reason: string;
  checks: GateCheck[];
}

const fmt = (x: number): string => x.toFixed(4);

function floor(name: string, metric: 'auc' | 'recall' | 'specificity', c: EvaluatedModel, min: number): GateCheck {
  const v = c.metrics[metric];
  // AUC is null on a one-class test split: that fails the floor, it does not crash the gate.
  const passed = Number.isFinite(v) && v >= min;
  return { name, passed, detail: `${metric} ${Number.isFinite(v) ? fmt(v) : String(v)} ${passed ? 'meets' : 'is below'} the floor ${fmt(min)}` };
}

function floorChecks(c: EvaluatedModel, g: GateConfig): GateCheck[] {
  const finite = GATE_METRICS.every((m) => Number.isFinite(c.metrics[m]));
  return [
    { name: 'metrics_finite', passed: finite, detail: finite ? 'all candidate metrics are numbers' : 'a candidate metric is NaN or missing' },
    floor('min_auc', 'auc', c, g.min_auc),
    floor('min_recall', 'recall', c, g.min_recall),
    floor('min_specificity', 'specificity', c, g.min_specificity),
  ];
}

function comparisonChecks(c: EvaluatedModel, champ: EvaluatedModel, g: GateConfig): GateCheck[] {
  const p = g.primary_metric;
  const delta = c.metrics[p] - champ.metrics[p];
  const recallDrop = champ.metrics.recall - c.metrics.recall;
  return [
    {
      name: 'same_test_set',
      passed: c.test_set_hash === champ.test_set_hash,
      detail: c.test_set_hash === champ.test_set_hash ? `both evaluated on test set ${c.test_set_hash}` : `test sets differ (${c.test_set_hash} vs ${champ.test_set_hash})`,
    },
    {
      name: `${p}_improvement`,
      passed: delta >= g.min_improvement,
      detail: `${p} ${fmt(c.metrics[p])} vs champion ${fmt(champ.metrics[p])} (delta ${delta >= 0 ? '+' : ''}${fmt(delta)}, needs >= +${fmt(g.min_improvement)})`,
    },
    {
      name: 'recall_not_worse',
      passed: recallDrop <= g.recall_tolerance,
      detail: `recall ${fmt(c.metrics.recall)} vs champion ${fmt(champ.metrics.recall)} (may drop at most ${fmt(g.recall_tolerance)})`,
    },
  ];
}

export function decide(candidate: EvaluatedModel, champion: EvaluatedModel | null, gate: GateConfig): GateDecision {
  const checks = [...floorChecks(candidate, gate), ...(champion ? comparisonChecks(candidate, champion, gate) : [])];
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    return { promote: false, reason: `kept the champion: ${failed.map((c) => c.detail).join('; ')}`, checks };
  }
  const reason = champion
    ? `candidate beats champion v${champion.version ?? '?'}: ${checks.find((c) => c.name.endsWith('_improvement'))?.detail ?? ''}`
    : 'no champion yet and the candidate passes the floors';
  return { promote: true, reason, checks };
}
