/** The grid view: runs as columns, tasks as rows, cells in state colours; the page script keeps it live over SSE. */
import type { DagRow, DagRunRow } from '../../../engine/service.js';
import type { WebUser } from '../../context.js';
import { groupState, type GridData } from '../grid-data.js';
import { html, type Html } from '../html.js';
import { pauseToggle, when } from './home.js';
import { isRunActive, stateClass, stateLabel, STATE_COLORS } from '../states.js';

const enc = encodeURIComponent;

/** A task instance's page; a mapped task without a map index lists its instances. */
export function tiHref(dagId: string, runId: string, taskId: string, mapIndex = -1): string {
  return `/dags/${enc(dagId)}/runs/${enc(runId)}/tasks/${enc(taskId)}${mapIndex >= 0 ? `?map_index=${mapIndex}` : ''}`;
}

function header(d: GridData): Html {
  return html`<tr><th class="task-col">Task</th>${d.runs.map(
    (r) => html`<th class="run-col"><a class="run-head ${stateClass(r.state)}" data-run-head="${r.run_id}" href="/dags/${enc(d.dagId)}/runs/${enc(r.run_id)}"
      title="${r.run_id}&#10;${r.logical_date}&#10;${stateLabel(r.state)}"></a></th>`,
  )}</tr>`;
}

function body(d: GridData): Html[] {
  return d.rows.map((row) => {
    const cells = d.runs.map((r) => {
      const states = d.states.get(r.run_id);
      if (row.isGroup) {
        const s = groupState(row.id, states);
        return html`<td><span class="cell group ${stateClass(s)}" data-run="${r.run_id}" data-group="${row.id}" title="group ${row.id}: ${stateLabel(s)}"></span></td>`;
      }
      const s = states?.get(row.id);
      if (s === undefined) return html`<td><span class="cell absent" title="not in this run"></span></td>`;
      // The run and task are in the column head and the row; the title names only the state (the grid is 2,000 cells at 100 runs).
      return html`<td><a class="cell ${stateClass(s)}" data-run="${r.run_id}" data-task="${row.id}" href="${tiHref(d.dagId, r.run_id, row.id)}" title="${stateLabel(s)}"></a></td>`;
    });
    return html`<tr class="${row.isGroup ? 'group-row' : 'task-row'}"><th class="task-name" style="padding-left:${0.5 + row.depth * 1.25}em">${row.isGroup ? html`&#9662; ${row.label}` : row.label}</th>${cells}</tr>`;
  });
}

function legend(): Html {
  return html`<div class="legend">${[...Object.keys(STATE_COLORS), null].map(
    (s) => html`<span class="legend-item"><span class="cell ${stateClass(s as keyof typeof STATE_COLORS | null)}"></span>${stateLabel(s as keyof typeof STATE_COLORS | null)}</span>`,
  )}</div>`;
}

function runPanel(dagId: string, run: DagRunRow | undefined): Html {
  if (!run) return html`<aside class="run-panel muted">No runs yet.</aside>`;
  return html`<aside class="run-panel" id="run-panel">
  <h2>Run <a href="/dags/${enc(dagId)}/runs/${enc(run.run_id)}">${run.run_id}</a></h2>
  <dl>
    <dt>State</dt><dd><span class="badge ${stateClass(run.state)}" id="run-state">${run.state}</span></dd>
    <dt>Run type</dt><dd>${run.run_type}</dd>
    <dt>Logical date</dt><dd>${when(run.logical_date)}</dd>
    <dt>Started</dt><dd>${when(run.start_date)}</dd>
    <dt>Ended</dt><dd>${when(run.end_date)}</dd>
    <dt>Conf</dt><dd><pre class="conf">${JSON.stringify(run.conf, null, 2)}</pre></dd>
  </dl>
  <a class="button" href="/dags/${enc(dagId)}/graph?dag_run_id=${enc(run.run_id)}">Graph of this run</a>
</aside>`;
}

export function gridBody(d: GridData, dag: DagRow, user: WebUser | null, numRuns: number, selected: string | undefined): Html {
  const run = (selected ? d.runs.find((r) => r.run_id === selected) : undefined) ?? d.runs.at(-1);
  const active = d.runs.filter((r) => isRunActive(r.state));
  const live = active.length > 0;
  // The stream is told which runs this page shows as active, so it sends their end even if they finish before it opens.
  const streamUrl = `/ui/dags/${enc(d.dagId)}/grid/events?num_runs=${numRuns}${active.map((r) => `&watch=${enc(r.run_id)}`).join('')}`;
  return html`<div class="dag-meta">${pauseToggle(dag, user)}
  <span>Schedule <code>${dag.schedule_interval ?? 'None'}</code></span>
  <span>Next run ${when(dag.next_dagrun)}</span>
  <form class="num-runs" method="get"><label>Runs <select name="num_runs" onchange="this.form.submit()">${[5, 25, 50, 100, 365].map(
    (n) => html`<option ${n === numRuns ? 'selected' : ''}>${n}</option>`,
  )}</select></label></form>
  <span id="live" class="live" ${live ? '' : 'hidden'}>&#9679; live</span>
</div>
${dag.description ? html`<p class="description">${dag.description}</p>` : ''}
<div class="grid-wrap">
  <div class="grid-scroll"><table class="grid" id="grid" data-dag-id="${d.dagId}" data-stream="${streamUrl}" data-live="${live ? '1' : '0'}">
    <thead>${header(d)}</thead>
    <tbody>${body(d)}</tbody>
  </table></div>
  ${runPanel(d.dagId, run)}
</div>
${legend()}`;
}
