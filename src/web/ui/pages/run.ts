/** A DAG run: its facts, its task instances, and for continuous_retraining the decision with its charts. */
import type { DagRunRow, TaskInstanceRow } from '../../../engine/service.js';
import { html, type Html } from '../html.js';
import type { RetrainingSummary } from '../retraining.js';
import { stateClass, stateLabel } from '../states.js';
import { confusionChart, lineChart, rocChart } from '../svg/charts.js';
import { formatDuration } from '../ti-data.js';
import { tiHref } from './grid.js';
import { when } from './home.js';

const enc = encodeURIComponent;
const METRICS = ['accuracy', 'precision', 'recall', 'specificity', 'f1', 'auc', 'threshold'] as const;

const fmtMetric = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : v === null || v === undefined ? '-' : String(v));

function decision(s: RetrainingSummary): Html {
  const c = s.compare;
  if (!c) return html``;
  const champion = c.champion;
  return html`<section class="decision ${c.promote ? 'promote' : 'keep'}" id="decision">
  <h3>Decision: ${c.promote ? 'promote the candidate' : 'keep the champion'}</h3>
  <p class="reason">${c.reason}</p>
  <table class="metrics"><thead><tr><th>Metric</th><th>Candidate</th><th>Champion${champion?.version != null ? html` v${champion.version}` : ''}</th></tr></thead>
  <tbody>${METRICS.map((m) => html`<tr><td>${m}</td><td>${fmtMetric(c.candidate.metrics[m])}</td><td>${champion ? fmtMetric(champion.metrics[m]) : '-'}</td></tr>`)}</tbody></table>
  <h4>Checks</h4>
  <ul class="checks">${c.checks.map((k) => html`<li class="${k.passed ? 'passed' : 'failed'}">${k.passed ? '✔' : '✘'} <code>${k.name}</code> ${k.detail}</li>`)}</ul>
</section>`;
}

function charts(s: RetrainingSummary): Html {
  const h = s.history;
  const m = s.metadata?.metrics ?? null;
  const classes = s.metadata?.class_names ?? ['NORMAL', 'PNEUMONIA'];
  return html`<section class="charts" id="training-charts">
  ${h ? lineChart('Loss per epoch', 'epoch', 'cross-entropy', [
    { name: 'train', points: h.map((e) => ({ x: e.epoch, y: e.loss })) },
    { name: 'val', points: h.map((e) => ({ x: e.epoch, y: e.val_loss })) },
  ]) : ''}
  ${h ? lineChart('Accuracy per epoch', 'epoch', 'accuracy / AUC', [
    { name: 'train acc', points: h.map((e) => ({ x: e.epoch, y: e.accuracy })) },
    { name: 'val acc', points: h.map((e) => ({ x: e.epoch, y: e.val_accuracy })) },
    { name: 'val AUC', points: h.map((e) => ({ x: e.epoch, y: e.val_auc ?? null })) },
  ], 1) : ''}
  ${m ? rocChart(m.roc ?? [], m.auc) : ''}
  ${m ? confusionChart(m.confusion_matrix, classes, m.threshold) : ''}
</section>`;
}

export function retrainingSection(s: RetrainingSummary): Html {
  return html`<section class="retraining" id="retraining">
  <h2>Retraining</h2>
  ${decision(s)}
  ${s.deploy ? html`<p class="deployed">Deployed as model v${s.deploy.version}${s.deploy.previous_version !== null ? ` (was v${s.deploy.previous_version})` : ''} at ${when(s.deploy.promoted_at)}.</p>` : ''}
  <p><a class="button" id="served-model" href="${s.serveUrl}">Model served at ${s.serveUrl}</a></p>
  ${s.modelDir ? html`<p class="muted">Candidate folder <code>${s.modelDir}</code>${s.metadata?.epochs_run !== undefined ? html`: ${s.metadata.epochs_run} epochs, best ${s.metadata.best_epoch ?? '-'}` : ''}</p>` : ''}
  ${charts(s)}
  ${s.notes.length ? html`<ul class="notes muted">${s.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
</section>`;
}

export function runBody(run: DagRunRow, tis: TaskInstanceRow[], retraining: RetrainingSummary | null): Html {
  return html`<p class="crumbs"><a href="/dags/${enc(run.dag_id)}/grid?dag_run_id=${enc(run.run_id)}">${run.dag_id}</a> / ${run.run_id}</p>
<h2>Run <code>${run.run_id}</code> <span class="badge ${stateClass(run.state)}" id="run-state">${run.state}</span></h2>
<dl class="run-facts">
  <dt>Run type</dt><dd>${run.run_type}</dd>
  <dt>Logical date</dt><dd>${when(run.logical_date)}</dd>
  <dt>Data interval</dt><dd>${when(run.data_interval_start)} – ${when(run.data_interval_end)}</dd>
  <dt>Started</dt><dd>${when(run.start_date)}</dd><dt>Ended</dt><dd>${when(run.end_date)}</dd>
  <dt>Conf</dt><dd><pre class="conf">${JSON.stringify(run.conf, null, 2)}</pre></dd>
</dl>
<table class="tis"><thead><tr><th>Task</th><th>State</th><th>Try</th><th>Duration</th></tr></thead><tbody>${tis.map(
    (t) => html`<tr><td><a href="${tiHref(run.dag_id, run.run_id, t.task_id, t.map_index ?? -1)}">${t.task_id}${(t.map_index ?? -1) >= 0 ? ` [${t.map_index}]` : ''}</a></td><td><span class="badge ${stateClass(t.state)}">${stateLabel(t.state)}</span></td>
      <td>${t.try_number}</td><td>${formatDuration(t.duration)}</td></tr>`,
  )}</tbody></table>
${retraining ? retrainingSection(retraining) : ''}`;
}
