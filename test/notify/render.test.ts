import { describe, expect, it } from 'vitest';
import { comparisonRows, renderNotice } from '../../src/notify/index.js';
import { promoted } from './summaries.js';

describe('notify: renderNotice', () => {
  it('puts candidate and champion metrics side by side with deltas in text, HTML and Slack', () => {
    const n = renderNotice(promoted);
    expect(n.subject).toBe('[dagctl] continuous_retraining: promoted model v4 (AUC 0.962, was AUC 0.951)');
    expect(n.text).toContain('Decision: promoted - AUC 0.9620 >= 0.9510');
    expect(n.text).toContain('Data version: 3f1c2a9d0b7e4c55a1e2f3b4c5d6e7f8.dir');
    expect(n.text).toMatch(/metric\s+candidate \(v4\)\s+champion \(v3\)\s+delta/);
    expect(n.text).toMatch(/auc\s+0\.9620\s+0\.9510\s+\+0\.0110/);
    expect(n.text).toMatch(/recall\s+0\.9740\s+0\.9790\s+-0\.0050/);
    expect(n.text).toMatch(/n\s+624\s+624\s+0\n/);
    expect(n.text).toContain('MLflow run: http://127.0.0.1:5000/#/experiments/1/runs/abc');

    expect(n.html).toContain('&lt;ok&gt;');
    expect(n.html).not.toContain('<ok>');
    expect(n.html).toContain('<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:right;font-family:monospace">0.9620</td>');
    expect(n.html).toContain('color:#1a7f37'); // the AUC gain in green
    expect(n.html).toContain('href="http://127.0.0.1:5000/#/experiments/1/runs/abc"');

    const blocks = n.slack.blocks as { type: string; text?: { text: string }; elements?: { text: string }[] }[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect(blocks[0]?.text?.text).toBe('continuous_retraining: promoted model v4 (AUC 0.962, was AUC 0.951)');
    expect(blocks[1]?.text?.text).toContain('&lt;ok&gt;');
    expect(blocks[3]?.text?.text).toMatch(/^```\n[\s\S]*auc\s+0\.9620\s+0\.9510\s+\+0\.0110[\s\S]*```$/);
    expect(blocks[4]?.elements?.[0]?.text).toBe('<http://127.0.0.1:5000/#/experiments/1/runs/abc|MLflow run>');
    expect(n.slack.text).toBe(n.subject);
  });

  it('orders metrics auc, accuracy, recall, specificity first and shows a missing side as "-"', () => {
    const rows = comparisonRows({ metrics: { zeta: 1, recall: 0.9, auc: 0.9 } }, undefined);
    expect(rows.map((r) => r.metric)).toEqual(['auc', 'recall', 'zeta']);
    expect(rows[0]).toMatchObject({ candidate: '0.9000', champion: '-', delta: '-' });
  });

  it('says why nothing happened, and which tasks failed', () => {
    const none = renderNotice({ dagId: 'd', runId: 'r', state: 'success', decision: 'no_new_data', reason: 'data version unchanged (abc.dir)', dataVersion: 'abc.dir' });
    expect(none.subject).toBe('[dagctl] d: no new data, nothing retrained');
    expect(none.text).not.toContain('metric');
    const kept = renderNotice({ ...promoted, decision: 'kept_champion', reason: 'AUC gain 0.002 below margin 0.005' });
    expect(kept.subject).toBe('[dagctl] continuous_retraining: kept champion v3; candidate not better (AUC 0.962 vs AUC 0.951)');
    const failed = renderNotice({ dagId: 'd', runId: 'r', state: 'failed', decision: 'failed', reason: 'failed: train', dataVersion: null, failedTasks: ['train', 'log_metrics'] });
    expect(failed.subject).toBe('[dagctl] d: FAILED (train, log_metrics)');
    expect(failed.text).toContain('Failed tasks: train, log_metrics');
    expect(failed.html).toContain('<b>Failed tasks:</b> train, log_metrics');
  });
});
