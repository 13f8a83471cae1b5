import { esc, layout, when, type AssetUrl } from './html.js';

export interface HomeView {
  modelVersion: number | null;
  promotedAt: string | null;
  ready: boolean;
  maxUploadMb: number;
  explain: boolean;
}

/** The upload page. The form works without JavaScript too (it posts to /predict and shows JSON). */
export function renderHome(v: HomeView, asset: AssetUrl): string {
  const version = v.modelVersion === null ? 'model folder' : `v${v.modelVersion}`;
  const status = v.ready
    ? `Model <strong id="model-version">${esc(version)}</strong>, promoted <span id="model-promoted">${when(v.promotedAt)}</span>`
    : '<strong id="model-version">No model loaded yet</strong> <span id="model-promoted"></span>';
  const body = `
<section class="card" id="app" data-max-mb="${esc(v.maxUploadMb)}" data-explain="${v.explain ? '1' : '0'}">
  <h1>Pneumonia screening demo</h1>
  <p class="muted model-line">${status}</p>
  <form id="upload" action="/predict" method="post" enctype="multipart/form-data">
    <label class="drop" id="drop" for="file">
      <input id="file" name="file" type="file" accept="image/jpeg,image/png">
      <span class="drop-text"><strong>Drop a chest X-ray here</strong> or tap to choose a file<br><small>JPEG or PNG, up to ${esc(v.maxUploadMb)} MB</small></span>
    </label>
    <noscript><button type="submit">Predict</button></noscript>
  </form>
  <div class="result" id="result" hidden>
    <figure class="preview">
      <img id="preview" alt="the uploaded X-ray">
      <canvas id="heatmap" hidden aria-label="occlusion heat map: red areas changed the prediction most"></canvas>
    </figure>
    <div class="verdict" aria-live="polite">
      <p class="busy" id="busy">Analysing…</p>
      <p class="label" id="label"></p>
      <div class="bar" role="meter" aria-valuemin="0" aria-valuemax="100" id="bar"><span id="bar-fill"></span><i id="bar-cut" title="decision threshold" hidden></i></div>
      <p><span id="probability"></span></p>
      <p class="muted small" id="details"></p>
      <label class="small" id="heat-toggle" hidden><input type="checkbox" id="show-heat" checked> show heat map</label>
      <p class="error" id="error" role="alert"></p>
    </div>
  </div>
</section>`;
  return layout({ title: 'Pneumonia X-ray classifier', active: 'predict', asset, body, script: 'app.js' });
}
