import type { Calibration } from './calibration.js';
import type { Metrics, RocPoint } from './metrics.js';

/**
 * Tiny SVG charts for the model folder, written without a browser or a plotting dependency (none of the
 * Node plotting libraries renders headless without a canvas/browser; these four charts need ~100 lines).
 */
const W = 480;
const H = 360;
const M = { l: 56, r: 16, t: 48, b: 44 };
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">${esc(yLabel)}</text>`,
    body,
    '</svg>\n',
  ].join('\n');
}

interface Scale {
  x: (v: number) => number;
  y: (v: number) => number;
}

function axes(x0: number, x1: number, y0: number, y1: number, integerX = false): { scale: Scale; svg: string } {
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const dx = x1 - x0 || 1;
  const dy = y1 - y0 || 1;
  const scale = { x: (v: number) => M.l + ((v - x0) / dx) * pw, y: (v: number) => M.t + ph - ((v - y0) / dy) * ph };
  const ticks: string[] = [`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`];
  // Epoch axes get whole-number ticks; others five evenly spaced ones.
  const xTicks = integerX && dx <= 20 ? Array.from({ length: dx + 1 }, (_, i) => x0 + i) : [0, 1, 2, 3, 4].map((i) => x0 + (dx * i) / 4);
  for (const xv of xTicks) ticks.push(`<text x="${scale.x(xv)}" y="${M.t + ph + 16}" text-anchor="middle">${integerX ? String(xv) : fmt(xv)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const yv = y0 + (dy * i) / 4;
    ticks.push(`<text x="${M.l - 6}" y="${scale.y(yv) + 4}" text-anchor="end">${fmt(yv)}</text>`);
    ticks.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${scale.y(yv)}" y2="${scale.y(yv)}" stroke="#eee"/>`);
  }
  return { scale, svg: ticks.join('\n') };
}

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

/** `yMax` fixes the top of the y axis (1 for accuracy/AUC); otherwise the data's maximum. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[], yMax?: number): string {
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const yMin = Math.min(0, ...ys);
  const integerX = xs.every((x) => Number.isInteger(x));
  const { scale, svg } = axes(Math.min(...xs, 1), Math.max(...xs, 1), yMin, yMax ?? Math.max(...ys, yMin + 1e-6), integerX);
  const lines = series.map((s, i) => {
    const c = COLOURS[i % COLOURS.length] as string;
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    const path = pts.map((p) => `${scale.x(p.x).toFixed(1)},${scale.y(p.y).toFixed(1)}`).join(' ');
    const dots = pts.map((p) => `<circle cx="${scale.x(p.x).toFixed(1)}" cy="${scale.y(p.y).toFixed(1)}" r="3" fill="${c}"/>`).join('');
    // Legend in one row above the plot, where no line can cross it.
    const legend = `<text x="${M.l + i * 110}" y="${M.t - 8}" fill="${c}">${esc(s.name)}</text>`;
    return `<polyline points="${path}" fill="none" stroke="${c}" stroke-width="2"/>${dots}${legend}`;
  });
  return frame(title, xLabel, yLabel, `${svg}\n${lines.join('\n')}`);
}

export function rocChart(roc: readonly RocPoint[], auc: number | null): string {
  const { scale, svg } = axes(0, 1, 0, 1);
  const path = roc.map((p) => `${scale.x(p.fpr).toFixed(1)},${scale.y(p.tpr).toFixed(1)}`).join(' ');
  const diag = `<line x1="${scale.x(0)}" y1="${scale.y(0)}" x2="${scale.x(1)}" y2="${scale.y(1)}" stroke="#aaa" stroke-dasharray="4 4"/>`;
  const label = `AUC = ${auc === null ? 'undefined (one class)' : auc.toFixed(3)}`;
  const body = `${svg}\n${diag}\n<polyline points="${path}" fill="none" stroke="${COLOURS[0]}" stroke-width="2"/>\n<text x="${scale.x(0.55)}" y="${scale.y(0.1)}">${label}</text>`;
  return frame('ROC curve (positive = PNEUMONIA)', 'false positive rate (1 - specificity)', 'true positive rate (recall)', body);
}

/** Reliability diagram: per bin, the fraction really PNEUMONIA against the mean predicted P(PNEUMONIA). */
export function reliabilityChart(c: Pick<Calibration, 'reliability' | 'ece' | 'threshold' | 'split' | 'n'>): string {
  const { scale, svg } = axes(0, 1, 0, 1);
  const diag = `<line x1="${scale.x(0)}" y1="${scale.y(0)}" x2="${scale.x(1)}" y2="${scale.y(1)}" stroke="#aaa" stroke-dasharray="4 4"/>`;
  const bins = c.reliability.filter((b) => b.count > 0);
  const path = bins.map((b) => `${scale.x(b.confidence).toFixed(1)},${scale.y(b.frequency).toFixed(1)}`).join(' ');
  const dots = bins.map((b) => `<circle cx="${scale.x(b.confidence).toFixed(1)}" cy="${scale.y(b.frequency).toFixed(1)}" r="${(2 + Math.sqrt(b.count)).toFixed(1)}" fill="${COLOURS[0]}" fill-opacity="0.5"/>`).join('');
  const cut = `<line x1="${scale.x(c.threshold)}" y1="${scale.y(0)}" x2="${scale.x(c.threshold)}" y2="${scale.y(1)}" stroke="${COLOURS[3]}"/>`;
  const label = `<text x="${scale.x(0.04)}" y="${scale.y(0.92)}">ECE = ${c.ece.toFixed(3)} on ${c.n} ${esc(c.split)} images; threshold ${c.threshold.toFixed(3)} (red)</text>`;
  const body = `${svg}\n${diag}\n${cut}\n<polyline points="${path}" fill="none" stroke="${COLOURS[0]}" stroke-width="2"/>${dots}\n${label}`;
  return frame('Reliability (dot area = images in the bin)', 'mean predicted P(PNEUMONIA)', 'fraction PNEUMONIA', body);
}

export function confusionChart(m: Pick<Metrics, 'confusion_matrix' | 'threshold'>): string {
  const names = ['NORMAL', 'PNEUMONIA'];
  const cells = m.confusion_matrix.flat();
  const max = Math.max(1, ...cells);
  const size = 120;
  const x0 = (W - 2 * size) / 2 + 20;
  const y0 = 70;
  const parts: string[] = [];
  m.confusion_matrix.forEach((row, r) =>
    row.forEach((v, c) => {
      const shade = Math.round(255 - (v / max) * 180);
      const x = x0 + c * size;
      const y = y0 + r * size;
      parts.push(`<rect x="${x}" y="${y}" width="${size}" height="${size}" fill="rgb(${shade},${shade},255)" stroke="#444"/>`);
      parts.push(`<text x="${x + size / 2}" y="${y + size / 2 + 6}" text-anchor="middle" font-size="20">${v}</text>`);
    }),
  );
  names.forEach((n, i) => {
    parts.push(`<text x="${x0 + i * size + size / 2}" y="${y0 - 8}" text-anchor="middle">${n}</text>`);
    parts.push(`<text x="${x0 - 8}" y="${y0 + i * size + size / 2}" text-anchor="end">${n}</text>`);
  });
  return frame(`Confusion matrix (threshold ${Number(m.threshold.toFixed(4))})`, 'predicted', 'true', parts.join('\n'));
}
