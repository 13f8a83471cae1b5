/**
 * Small server-side SVG charts for a training run: lines per epoch, the ROC curve, the confusion matrix.
 * Every text goes through `html`, so labels from data files are escaped.
 */
import { html, num, type Html } from '../html.js';

export interface Series {
  name: string;
  points: Array<{ x: number; y: number | null }>;
}

const W = 420;
const H = 260;
const M = { l: 48, r: 12, t: 40, b: 40 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

function frame(title: string, xLabel: string, yLabel: string, inner: Html): Html {
  return html`<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}">
  <text class="title" x="${W / 2}" y="16" text-anchor="middle">${title}</text>
  <line class="axis" x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}"/>
  <line class="axis" x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}"/>
  <text class="axis-label" x="${(M.l + W - M.r) / 2}" y="${H - 6}" text-anchor="middle">${xLabel}</text>
  <text class="axis-label" transform="translate(12 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>
  ${inner}
</svg>`;
}

function ticks(lo: number, hi: number, n: number): number[] {
  if (hi <= lo) return [lo];
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Lines over x (epochs); y from 0 to the data's max (or `yMax`). Missing points break nothing: they are skipped. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], yMax?: number): Html {
  const ys = series.flatMap((s) => s.points.map((p) => p.y).filter((y): y is number => y !== null && Number.isFinite(y)));
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  if (ys.length === 0) return frame(title, xLabel, yLabel, html`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="muted">no data</text>`);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y1 = yMax ?? Math.max(...ys) * 1.05;
  const sx = (x: number) => M.l + ((x - x0) / (x1 - x0)) * (W - M.l - M.r);
  const sy = (y: number) => H - M.b - (y / (y1 || 1)) * (H - M.t - M.b);
  const grid = ticks(0, y1, 4).map((v) => html`<line class="grid" x1="${M.l}" x2="${W - M.r}" y1="${num(sy(v))}" y2="${num(sy(v))}"/><text class="tick" x="${M.l - 4}" y="${num(sy(v) + 3)}" text-anchor="end">${fmt(v)}</text>`);
  const xt = [...new Set(xs)].filter((_, i, a) => a.length <= 10 || i % Math.ceil(a.length / 10) === 0)
    .map((v) => html`<text class="tick" x="${num(sx(v))}" y="${H - M.b + 14}" text-anchor="middle">${v}</text>`);
  const lines = series.map((s, i) => {
    const pts = s.points.filter((p): p is { x: number; y: number } => p.y !== null && Number.isFinite(p.y));
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${num(sx(p.x))},${num(sy(p.y))}`).join(' ');
    const c = COLORS[i % COLORS.length]!;
    return html`<path class="series" d="${d}" stroke="${c}" fill="none" stroke-width="2"/>${pts.map((p) => html`<circle cx="${num(sx(p.x))}" cy="${num(sy(p.y))}" r="2.5" fill="${c}"/>`)}
      <g transform="translate(${M.l + i * 95} 31)"><rect width="10" height="3" y="-4" fill="${c}"/><text class="legend" x="14" y="0">${s.name}</text></g>`;
  });
  return frame(title, xLabel, yLabel, html`${grid}${xt}${lines}`);
}

/** ROC curve with the chance diagonal and the AUC in the title. */
export function rocChart(points: Array<{ fpr: number; tpr: number }>, auc: number | null): Html {
  const sx = (x: number) => M.l + x * (W - M.l - M.r);
  const sy = (y: number) => H - M.b - y * (H - M.t - M.b);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${num(sx(p.fpr))},${num(sy(p.tpr))}`).join(' ');
  const t = ticks(0, 1, 4).map((v) => html`<text class="tick" x="${M.l - 4}" y="${num(sy(v) + 3)}" text-anchor="end">${v.toFixed(2)}</text><text class="tick" x="${num(sx(v))}" y="${H - M.b + 14}" text-anchor="middle">${v.toFixed(2)}</text>`);
  return frame(`ROC (AUC ${auc === null ? 'n/a' : auc.toFixed(3)})`, 'false positive rate', 'true positive rate', html`${t}
  <line class="chance" x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}"/>
  ${points.length ? html`<path class="series" d="${d}" stroke="${COLORS[0]}" fill="none" stroke-width="2"/>` : html`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no ROC points</text>`}`);
}

/** [[tn, fp], [fn, tp]]: rows are the true class, columns the predicted one; darker is more. */
export function confusionChart(cm: [[number, number], [number, number]], classes: [string, string], threshold: number): Html {
  const size = 200;
  const cell = size / 2;
  const x0 = 110;
  const y0 = 40;
  const max = Math.max(1, ...cm.flat());
  const cells = cm.flatMap((row, i) => row.map((v, j) => {
    const shade = Math.round(235 - (v / max) * 180);
    return html`<rect x="${x0 + j * cell}" y="${y0 + i * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#fff"/>
      <text class="cm-value" x="${x0 + j * cell + cell / 2}" y="${y0 + i * cell + cell / 2 + 5}" text-anchor="middle" fill="${shade < 140 ? '#fff' : '#000'}">${v}</text>`;
  }));
  const labels = classes.map((c, i) => html`<text class="tick" x="${x0 - 6}" y="${y0 + i * cell + cell / 2 + 4}" text-anchor="end">${c}</text>
    <text class="tick" x="${x0 + i * cell + cell / 2}" y="${y0 + size + 16}" text-anchor="middle">${c}</text>`);
  return html`<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H + 24}" width="${W}" height="${H + 24}" role="img" aria-label="confusion matrix">
  <text class="title" x="${W / 2}" y="16" text-anchor="middle">Confusion matrix (threshold ${threshold.toFixed(3)})</text>
  ${cells}${labels}
  <text class="axis-label" x="${x0 + size / 2}" y="${y0 + size + 34}" text-anchor="middle">predicted</text>
  <text class="axis-label" transform="translate(24 ${y0 + size / 2}) rotate(-90)" text-anchor="middle">true</text>
</svg>`;
}
