import type { ModelSide, RunSummary } from './types.js';

/** The order people read metrics in; anything else follows alphabetically. */
const PREFERRED = ['auc', 'accuracy', 'recall', 'specificity', 'precision', 'f1'];

export interface MetricRow {
  metric: string;
  candidate: string;
  champion: string;
  delta: string;
  /** Sign of candidate - champion, for colouring; 0 when either side is missing. */
  direction: -1 | 0 | 1;
}

export function formatMetric(v: number | undefined): string {
  if (v === undefined || v === null) return '-';
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

function formatDelta(c: number | undefined, p: number | undefined): { delta: string; direction: -1 | 0 | 1 } {
  if (typeof c !== 'number' || typeof p !== 'number' || !Number.isFinite(c) || !Number.isFinite(p)) return { delta: '-', direction: 0 };
  const d = c - p;
  const text = Number.isInteger(c) && Number.isInteger(p) ? String(d) : d.toFixed(4);
  return { delta: d > 0 ? `+${text}` : text, direction: d > 0 ? 1 : d < 0 ? -1 : 0 };
}

/** Candidate | champion | delta, one row per metric either side has. */
export function comparisonRows(candidate?: ModelSide, champion?: ModelSide): MetricRow[] {
  const keys = new Set([...Object.keys(candidate?.metrics ?? {}), ...Object.keys(champion?.metrics ?? {})]);
  const rank = (k: string): number => (PREFERRED.includes(k) ? PREFERRED.indexOf(k) : PREFERRED.length);
  return [...keys]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((metric) => {
      const c = candidate?.metrics[metric];
      const p = champion?.metrics[metric];
      return { metric, candidate: formatMetric(c), champion: formatMetric(p), ...formatDelta(c, p) };
    });
}

export const sideLabel = (name: string, side?: ModelSide): string => (side?.version !== undefined ? `${name} (v${side.version})` : name);

/** The one-line outcome, shared by the subject, the Slack header and the text body. */
export function headline(s: RunSummary): string {
  const primary = (side?: ModelSide): string => {
    const auc = side?.metrics.auc;
    return typeof auc === 'number' ? `AUC ${auc.toFixed(3)}` : '';
  };
  switch (s.decision) {
    case 'promoted': {
      const was = s.champion ? `, was ${primary(s.champion) || `v${s.champion.version ?? '?'}`}` : ', first champion';
      return `promoted model${s.candidate?.version !== undefined ? ` v${s.candidate.version}` : ''}${primary(s.candidate) ? ` (${primary(s.candidate)}${was})` : ''}`;
    }
    case 'kept_champion':
      return `kept champion${s.champion?.version !== undefined ? ` v${s.champion.version}` : ''}; candidate not better${primary(s.candidate) ? ` (${primary(s.candidate)} vs ${primary(s.champion) || '-'})` : ''}`;
    case 'no_new_data':
      return 'no new data, nothing retrained';
    case 'failed':
      return `FAILED${s.failedTasks?.length ? ` (${s.failedTasks.join(', ')})` : ''}`;
    default: {
      const never: never = s.decision;
      throw new Error(`unknown decision ${String(never)}`);
    }
  }
}
