/** A task instance: its state, tries with their durations, XCom, and the log of the chosen try (followed while it runs). */
import type { Json, TaskInstanceRow, TaskRow } from '../../../engine/service.js';
import type { WebUser } from '../../context.js';
import { html, type Html } from '../html.js';
import { canEdit } from '../layout.js';
import { stateClass, stateLabel } from '../states.js';
import { formatDuration, type TryInfo } from '../ti-data.js';
import { when } from './home.js';
import { tiHref } from './grid.js';

export interface TiPageData {
  ti: TaskInstanceRow;
  task: TaskRow | undefined;
  tries: TryInfo[];
  xcoms: Array<{ key: string; value: Json }>;
  /** The try whose log is shown, and its log. */
  shownTry: number;
  log: string;
  logUrl: string;
}

const enc = encodeURIComponent;
const withTry = (href: string, n: number): string => `${href}${href.includes('?') ? '&' : '?'}try_number=${n}`;

function actions(ti: TaskInstanceRow, user: WebUser | null): Html | '' {
  if (!canEdit(user)) return '';
  return html`<section class="ti-actions" id="ti-actions" data-dag-id="${ti.dag_id}" data-run-id="${ti.run_id}" data-task-id="${ti.task_id}">
  <button type="button" class="button" data-action="clear">Clear</button>
  <label class="inline"><input type="checkbox" id="clear-downstream" checked> with downstream</label>
  <button type="button" class="button success" data-action="mark-success">Mark success</button>
  <button type="button" class="button danger" data-action="mark-failed">Mark failed</button>
</section>`;
}

function triesTable(d: TiPageData): Html {
  const { ti } = d;
  if (d.tries.length === 0) return html`<p class="muted">No try yet (state ${stateLabel(ti.state)}).</p>`;
  return html`<table class="tries"><thead><tr><th>Try</th><th>Started</th><th>Ended</th><th>Duration</th><th>Log</th></tr></thead><tbody>${d.tries.map(
    (t) => html`<tr class="${t.tryNumber === d.shownTry ? 'selected' : ''}"><td>${t.tryNumber}</td><td>${when(t.start)}</td><td>${when(t.end)}</td>
      <td title="${t.source === 'log' ? 'from the first and last lines of its log' : ''}">${formatDuration(t.duration)}</td>
      <td><a href="${withTry(tiHref(ti.dag_id, ti.run_id, ti.task_id, ti.map_index ?? -1), t.tryNumber)}">log of try ${t.tryNumber}</a></td></tr>`,
  )}</tbody></table>`;
}

export function tiBody(d: TiPageData, user: WebUser | null): Html {
  const { ti, task } = d;
  const following = (ti.state === 'running' || ti.state === 'queued' || ti.state === 'restarting') && d.shownTry >= ti.try_number;
  return html`<p class="crumbs"><a href="/dags/${enc(ti.dag_id)}/grid?dag_run_id=${enc(ti.run_id)}">${ti.dag_id}</a> / <a href="/dags/${enc(ti.dag_id)}/runs/${enc(ti.run_id)}">${ti.run_id}</a> / ${ti.task_id}</p>
<h2>Task <code>${ti.task_id}</code>${(ti.map_index ?? -1) >= 0 ? html` <span class="map-index">map index ${ti.map_index}</span>` : ''} <span class="badge ${stateClass(ti.state)}" id="ti-state">${stateLabel(ti.state)}</span></h2>
${actions(ti, user)}
<dl class="ti-facts">
  <dt>Operator</dt><dd>${ti.operator ?? task?.operator ?? '-'}</dd>
  <dt>Try</dt><dd>${ti.try_number} of ${ti.max_tries + 1}</dd>
  <dt>Duration</dt><dd>${formatDuration(ti.duration)}</dd>
  <dt>Pool</dt><dd>${ti.pool} (${ti.pool_slots} slot${ti.pool_slots === 1 ? '' : 's'})</dd>
  <dt>Trigger rule</dt><dd>${task?.trigger_rule ?? '-'}</dd>
  <dt>Upstream</dt><dd>${task?.upstream_task_ids.join(', ') || '-'}</dd>
  <dt>Downstream</dt><dd>${task?.downstream_task_ids.join(', ') || '-'}</dd>
</dl>
${task?.doc ? html`<pre class="doc">${task.doc}</pre>` : ''}
<h3>Tries</h3>
${triesTable(d)}
<h3>XCom</h3>
${d.xcoms.length ? html`<table class="xcom"><thead><tr><th>Key</th><th>Value</th></tr></thead><tbody>${d.xcoms.map(
    (x) => html`<tr><td><code>${x.key}</code></td><td><pre>${JSON.stringify(x.value, null, 2)}</pre></td></tr>`,
  )}</tbody></table>` : html`<p class="muted" id="no-xcom">No XCom.</p>`}
<h3>Log ${d.shownTry > 0 ? html`of try ${d.shownTry}` : ''} <span id="log-following" class="live" ${following ? '' : 'hidden'}>&#9679; following</span></h3>
<pre class="log" id="log" data-log-url="${d.logUrl}" data-follow="${following ? '1' : '0'}">${d.log}</pre>`;
}

/** A mapped task's instances in one run, each a link to its own page. */
export function mappedBody(dagId: string, runId: string, taskId: string, tis: TaskInstanceRow[]): Html {
  return html`<p class="crumbs"><a href="/dags/${enc(dagId)}/grid?dag_run_id=${enc(runId)}">${dagId}</a> / <a href="/dags/${enc(dagId)}/runs/${enc(runId)}">${runId}</a> / ${taskId}</p>
<h2>Mapped task <code>${taskId}</code>: ${tis.length} instance${tis.length === 1 ? '' : 's'}</h2>
<table class="tis" id="mapped-instances"><thead><tr><th>Map index</th><th>State</th><th>Try</th><th>Duration</th></tr></thead><tbody>${tis.map(
    (t) => html`<tr><td><a href="${tiHref(dagId, runId, taskId, t.map_index)}">${t.map_index}</a></td><td><span class="badge ${stateClass(t.state)}">${stateLabel(t.state)}</span></td>
      <td>${t.try_number}</td><td>${formatDuration(t.duration)}</td></tr>`,
  )}</tbody></table>`;
}
