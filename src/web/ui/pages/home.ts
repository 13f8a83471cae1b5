/** The DAGs page (Airflow's /home): import errors on top, then every DAG with its toggle, schedule, tags, next run and last runs. */
import type { DagRow, DagRunRow, ImportErrorRow } from '../../../engine/service.js';
import type { WebUser } from '../../context.js';
import { html, type Html } from '../html.js';
import { canEdit } from '../layout.js';
import { stateClass, stateLabel } from '../states.js';

export interface HomeData {
  dags: Array<{ dag: DagRow; runs: DagRunRow[] }>;
  importErrors: ImportErrorRow[];
}

export const when = (iso: string | null): Html =>
  iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')}</time>` : html`<span class="muted">-</span>`;

function importErrors(errors: ImportErrorRow[]): Html | '' {
  if (errors.length === 0) return '';
  return html`<section class="import-errors" id="import-errors">
  <h2>Import errors (${errors.length})</h2>
  ${errors.map((e) => html`<details class="import-error"><summary>Broken DAG: ${e.filename}</summary><pre>${e.stack_trace}</pre></details>`)}
</section>`;
}

/** The pause toggle: checked means active (unpaused), as in Airflow; a Viewer sees it but cannot flip it. */
export function pauseToggle(dag: DagRow, user: WebUser | null): Html {
  return html`<label class="toggle" title="${dag.is_paused ? 'paused: click to unpause' : 'active: click to pause'}">
  <input type="checkbox" class="pause-toggle" data-dag-id="${dag.dag_id}" ${dag.is_paused ? '' : 'checked'} ${canEdit(user) ? '' : 'disabled'} aria-label="pause or unpause ${dag.dag_id}">
  <span class="slider"></span></label>`;
}

function runDots(dagId: string, runs: DagRunRow[]): Html {
  // Oldest on the left, like Airflow's recent runs.
  return html`<span class="run-dots">${[...runs].reverse().map(
    (r) => html`<a class="dot ${stateClass(r.state)}" title="${r.run_id}: ${stateLabel(r.state)}" href="/dags/${encodeURIComponent(dagId)}/grid?dag_run_id=${encodeURIComponent(r.run_id)}"></a>`,
  )}</span>`;
}

export function homeBody(d: HomeData, user: WebUser | null): Html {
  const rows = d.dags.map(
    ({ dag, runs }) => html`<tr data-dag-id="${dag.dag_id}">
  <td>${pauseToggle(dag, user)}</td>
  <td><a class="dag-link" href="/dags/${encodeURIComponent(dag.dag_id)}/grid">${dag.dag_id}</a>
    ${dag.description ? html`<div class="description">${dag.description}</div>` : ''}
    <div class="tags">${dag.tags.map((t) => html`<span class="tag">${t}</span>`)}</div></td>
  <td>${dag.owners.join(', ')}</td>
  <td><code>${dag.schedule_interval ?? 'None'}</code></td>
  <td>${when(dag.next_dagrun)}</td>
  <td>${runDots(dag.dag_id, runs)}</td>
  <td class="actions">${canEdit(user) ? html`<a class="button" href="/dags/${encodeURIComponent(dag.dag_id)}/trigger" title="Trigger DAG">&#9654; Trigger</a>` : ''}
    <a class="button" href="/dags/${encodeURIComponent(dag.dag_id)}/graph">Graph</a></td>
</tr>`,
  );
  return html`${importErrors(d.importErrors)}
<h1>DAGs</h1>
<table class="dags">
  <thead><tr><th></th><th>DAG</th><th>Owner</th><th>Schedule</th><th>Next run</th><th>Runs</th><th>Actions</th></tr></thead>
  <tbody>${rows.length ? rows : html`<tr><td colspan="7" class="muted">No DAGs: put a DAG file in the DAGs folder.</td></tr>`}</tbody>
</table>`;
}
