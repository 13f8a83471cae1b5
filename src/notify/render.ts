import { comparisonRows, headline, sideLabel, type MetricRow } from './compare.js';
import type { Notice, RunSummary } from './types.js';

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Slack mrkdwn needs only these three escaped (https://api.slack.com/reference/surfaces/formatting#escaping). */
const escapeSlack = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

function textTable(rows: MetricRow[], cLabel: string, pLabel: string): string {
  const head = ['metric', cLabel, pLabel, 'delta'];
  const body = rows.map((r) => [r.metric, r.candidate, r.champion, r.delta]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

function textBody(s: RunSummary, rows: MetricRow[], cLabel: string, pLabel: string): string {
  const parts = [
    `${s.dagId} run ${s.runId}: ${s.state}`,
    `Decision: ${s.decision} - ${s.reason}`,
    `Data version: ${s.dataVersion ?? 'unknown'}`,
    ...(s.notes ?? []),
  ];
  if (rows.length) parts.push('', textTable(rows, cLabel, pLabel));
  if (s.failedTasks?.length) parts.push('', `Failed tasks: ${s.failedTasks.join(', ')}`);
  if (s.links?.length) parts.push('', 'Links:', ...s.links.map((l) => `  ${l.label}: ${l.url}`));
  return `${parts.join('\n')}\n`;
}

function htmlBody(s: RunSummary, rows: MetricRow[], cLabel: string, pLabel: string): string {
  const td = 'style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:right;font-family:monospace"';
  const th = 'style="padding:4px 10px;border-bottom:2px solid #999;text-align:right"';
  const colour = (d: MetricRow['direction']): string => (d > 0 ? '#1a7f37' : d < 0 ? '#cf222e' : '#555');
  const table = rows.length
    ? `<table style="border-collapse:collapse;margin:12px 0"><thead><tr><th ${th.replace('right', 'left')}>metric</th><th ${th}>${escapeHtml(cLabel)}</th><th ${th}>${escapeHtml(pLabel)}</th><th ${th}>delta</th></tr></thead><tbody>${rows
        .map((r) => `<tr><td ${td.replace('right', 'left')}>${escapeHtml(r.metric)}</td><td ${td}>${r.candidate}</td><td ${td}>${r.champion}</td><td ${td.replace('font-family', `color:${colour(r.direction)};font-family`)}>${r.delta}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const failed = s.failedTasks?.length ? `<p><b>Failed tasks:</b> ${s.failedTasks.map(escapeHtml).join(', ')}</p>` : '';
  const links = s.links?.length ? `<p>${s.links.map((l) => `<a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a>`).join(' · ')}</p>` : '';
  return [
    '<!doctype html><html><body style="font-family:sans-serif;font-size:14px;color:#222">',
    `<h2 style="margin:0 0 8px">${escapeHtml(`${s.dagId}: ${headline(s)}`)}</h2>`,
    `<p><b>Decision:</b> ${escapeHtml(s.decision)} &mdash; ${escapeHtml(s.reason)}</p>`,
    `<p><b>Run:</b> ${escapeHtml(s.runId)} (${escapeHtml(s.state)})<br><b>Data version:</b> ${escapeHtml(s.dataVersion ?? 'unknown')}${(s.notes ?? []).map((n) => `<br>${escapeHtml(n)}`).join('')}</p>`,
    table,
    failed,
    links,
    '</body></html>',
  ].join('\n');
}

function slackBlocks(s: RunSummary, rows: MetricRow[], cLabel: string, pLabel: string): unknown[] {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${s.dagId}: ${headline(s)}`, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*Decision:* ${escapeSlack(s.decision)}\n${escapeSlack(s.reason)}${(s.notes ?? []).map((n) => `\n${escapeSlack(n)}`).join('')}`, 3000) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Run*\n${escapeSlack(s.runId)}` },
        { type: 'mrkdwn', text: `*State*\n${s.state}` },
        { type: 'mrkdwn', text: `*Data version*\n${escapeSlack(s.dataVersion ?? 'unknown')}` },
        ...(s.failedTasks?.length ? [{ type: 'mrkdwn', text: `*Failed tasks*\n${escapeSlack(s.failedTasks.join(', '))}` }] : []),
      ],
    },
  ];
  // A monospace table: section fields cap at 10 and cannot align three columns.
  if (rows.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`\`\`\`\n${escapeSlack(textTable(rows, cLabel, pLabel))}\n\`\`\``, 3000) } });
  if (s.links?.length) {
    blocks.push({ type: 'context', elements: s.links.slice(0, 10).map((l) => ({ type: 'mrkdwn', text: `<${l.url.replace(/[<>|]/g, encodeURIComponent)}|${escapeSlack(l.label)}>` })) });
  }
  return blocks;
}

/** One notice for every channel: subject, plain text, HTML email and Slack blocks, metrics side by side. */
export function renderNotice(s: RunSummary): Notice {
  const rows = comparisonRows(s.candidate, s.champion);
  const cLabel = sideLabel('candidate', s.candidate);
  const pLabel = sideLabel('champion', s.champion);
  const subject = `[dagctl] ${s.dagId}: ${headline(s)}`;
  return {
    subject,
    text: textBody(s, rows, cLabel, pLabel),
    html: htmlBody(s, rows, cLabel, pLabel),
    slack: { text: subject, blocks: slackBlocks(s, rows, cLabel, pLabel) },
  };
}
