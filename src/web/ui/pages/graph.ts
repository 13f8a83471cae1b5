/** The graph view: the DAG laid out by dagre, drawn as SVG on the server, nodes coloured by the chosen run's states. */
import type { DagRunRow, TaskState } from '../../../engine/service.js';
import type { GraphLayout } from '../graph-layout.js';
import { html, num, type Html } from '../html.js';
import { stateLabel, STATE_COLORS } from '../states.js';
import { tiHref } from './grid.js';

const enc = encodeURIComponent;

function path(points: Array<{ x: number; y: number }>): string {
  return points.map((p, i) => `${i ? 'L' : 'M'}${num(p.x)},${num(p.y)}`).join(' ');
}

export function graphSvg(dagId: string, l: GraphLayout, run: DagRunRow | undefined, states: Map<string, TaskState | null>): Html {
  const groups = l.groups.map(
    (g) => html`<g class="group"><rect x="${num(g.x - g.width / 2)}" y="${num(g.y - g.height / 2)}" width="${num(g.width)}" height="${num(g.height)}" rx="6"/>
      <text x="${num(g.x - g.width / 2 + 8)}" y="${num(g.y - g.height / 2 + 15)}">${g.label}</text></g>`,
  );
  const edges = l.edges.map((e) => html`<path class="edge" d="${path(e.points)}" marker-end="url(#arrow)"/>`);
  const nodes = l.nodes.map((n) => {
    const s = states.get(n.id);
    const color = s ? STATE_COLORS[s] : '#bbb';
    const body = html`<rect x="${num(n.x - n.width / 2)}" y="${num(n.y - n.height / 2)}" width="${num(n.width)}" height="${num(n.height)}" rx="4" stroke="${color}" stroke-width="${s ? 3 : 1}"/>
      <text class="label" x="${num(n.x)}" y="${num(n.y - 2)}">${n.label}</text>
      <text class="operator" x="${num(n.x)}" y="${num(n.y + 13)}">${n.operator}</text>
      <title>${n.id}: ${stateLabel(s ?? null)}</title>`;
    const cls = `node state-${s ?? 'none'}`;
    return run && s !== undefined
      ? html`<a class="${cls}" data-task="${n.id}" data-state="${s ?? 'none'}" href="${tiHref(dagId, run.run_id, n.id)}">${body}</a>`
      : html`<g class="${cls}" data-task="${n.id}">${body}</g>`;
  });
  return html`<svg class="dag-graph" id="dag-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${num(l.width)} ${num(l.height)}" width="${num(l.width)}" height="${num(l.height)}" role="img" aria-label="graph of ${dagId}">
  <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>
  ${groups}${edges}${nodes}
</svg>`;
}

export function graphBody(dagId: string, l: GraphLayout, runs: DagRunRow[], run: DagRunRow | undefined, states: Map<string, TaskState | null>): Html {
  return html`<form class="run-picker" method="get"><label>Run
  <select name="dag_run_id" onchange="this.form.submit()">${runs.length === 0 ? html`<option value="">no runs yet</option>` : ''}${runs.map(
    (r) => html`<option value="${r.run_id}" ${r.run_id === run?.run_id ? 'selected' : ''}>${r.run_id} (${r.state})</option>`,
  )}</select></label>
  ${run ? html`<a href="/dags/${enc(dagId)}/runs/${enc(run.run_id)}">run details</a>` : ''}</form>
<div class="graph-scroll">${graphSvg(dagId, l, run, states)}</div>`;
}
