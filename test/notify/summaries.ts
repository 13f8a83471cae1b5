import type { RunSummary } from '../../src/notify/index.js';

export const promoted: RunSummary = {
  dagId: 'continuous_retraining',
  runId: 'manual__2026-01-02T00:00:00+00:00',
  state: 'success',
  decision: 'promoted',
  reason: 'AUC 0.9620 >= 0.9510 + 0.005 & recall within tolerance <ok>',
  dataVersion: '3f1c2a9d0b7e4c55a1e2f3b4c5d6e7f8.dir',
  candidate: { version: 4, metrics: { auc: 0.962, accuracy: 0.891, recall: 0.974, specificity: 0.761, n: 624 } },
  champion: { version: 3, metrics: { auc: 0.951, accuracy: 0.872, recall: 0.979, specificity: 0.701, n: 624 } },
  links: [{ label: 'MLflow run', url: 'http://127.0.0.1:5000/#/experiments/1/runs/abc' }],
};
