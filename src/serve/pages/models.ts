import type { ModelVersion } from '../../registry/types.js';
import { esc, layout, when, type AssetUrl } from './html.js';

const METRIC_COLUMNS = ['auc', 'accuracy', 'recall', 'specificity', 'precision', 'f1', 'threshold'] as const;

function metric(m: Record<string, unknown>, key: string): string {
  const v = m[key];
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '–';
}

export interface ModelsView {
  /** Registry versions (newest first), or null when serving a plain folder. */
  versions: ModelVersion[] | null;
  servingVersion: number | null;
  servingDir: string | null;
  sourceDescription: string;
  lastReloadError: { version: number | null; message: string; at: string } | null;
}

/** The model history: every registered version, its test metrics, which is champion and when promoted. */
export function renderModels(v: ModelsView, asset: AssetUrl): string {
  const error = v.lastReloadError
    ? `<p class="error">Last reload refused (${v.lastReloadError.version === null ? 'folder' : `v${esc(v.lastReloadError.version)}`}, ${when(v.lastReloadError.at)}): ${esc(v.lastReloadError.message)}</p>`
    : '';
  let table: string;
  if (v.versions === null) {
    table = `<p>Serving a model folder outside the registry: <code>${esc(v.servingDir ?? '')}</code>.</p>`;
  } else if (v.versions.length === 0) {
    table = '<p>The registry has no versions yet. Run the pipeline to train and register one.</p>';
  } else {
    const rows = [...v.versions]
      .sort((a, b) => b.version - a.version)
      .map((m) => {
        const badges = [m.is_champion ? '<span class="badge champion">champion</span>' : '', m.version === v.servingVersion ? '<span class="badge serving">serving</span>' : '']
          .filter(Boolean)
          .join(' ');
        const cells = METRIC_COLUMNS.map((k) => `<td class="num">${metric(m.metrics, k)}</td>`).join('');
        return `<tr${m.is_champion ? ' class="is-champion"' : ''}><th scope="row">v${esc(m.version)} ${badges}</th><td>${when(m.created_at)}</td><td>${when(m.promoted_at)}</td>${cells}<td><code>${esc(m.data_version?.slice(0, 10) ?? '–')}</code></td></tr>`;
      })
      .join('\n');
    const head = METRIC_COLUMNS.map((k) => `<th scope="col" class="num">${k}</th>`).join('');
    table = `<div class="scroll"><table class="models">
<thead><tr><th scope="col">version</th><th scope="col">registered</th><th scope="col">last promoted</th>${head}<th scope="col">data</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
  }
  const body = `<section class="card wide">
  <h1>Model history</h1>
  <p class="muted">Source: ${esc(v.sourceDescription)}. Metrics are on the held-out test split.</p>
  ${error}
  ${table}
</section>`;
  return layout({ title: 'Model history', active: 'models', asset, body });
}
