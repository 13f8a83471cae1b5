/** Trigger a DAG run with conf: the JSON is checked in the browser (an object, or an error shown) before it is sent. */
import type { Json } from '../../../engine/service.js';
import { html, type Html } from '../html.js';

export function triggerBody(dagId: string, params: Json): Html {
  return html`<form class="trigger" id="trigger-form" data-dag-id="${dagId}" novalidate>
  <p>Trigger a run of <code>${dagId}</code>. Its conf overrides the DAG's params for this run.</p>
  <label for="conf">Conf (a JSON object)</label>
  <textarea id="conf" name="conf" rows="10" spellcheck="false">${JSON.stringify(params, null, 2)}</textarea>
  <div id="conf-error" class="field-error" role="alert" hidden></div>
  <details><summary>More</summary>
    <label for="dag-run-id">Run id (optional)</label><input id="dag-run-id" name="dag_run_id" placeholder="manual__…">
    <label for="logical-date">Logical date (optional, ISO 8601)</label><input id="logical-date" name="logical_date" placeholder="2026-01-01T00:00:00Z">
    <label for="note">Note (optional)</label><input id="note" name="note">
  </details>
  <button type="submit" class="button primary" id="trigger-submit">Trigger</button>
</form>`;
}
