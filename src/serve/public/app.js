// The upload page: pick or drop an image, preview it, POST it to /predict, show the answer.
// Plain browser JavaScript on purpose: no build step, nothing to install.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const app = $('app');
  const maxBytes = Number(app.dataset.maxMb) * 1024 * 1024;
  const explain = app.dataset.explain === '1';
  const drop = $('drop');
  const input = $('file');
  let previewUrl = null;
  let lastGrid = null;

  function showError(message) {
    $('busy').hidden = true;
    $('error').textContent = message;
  }

  function reset() {
    $('result').hidden = false;
    $('busy').hidden = false;
    $('error').textContent = '';
    $('label').textContent = '';
    $('label').className = 'label';
    $('probability').textContent = '';
    $('details').textContent = '';
    $('bar-fill').style.width = '0';
    $('heatmap').hidden = true;
    $('heat-toggle').hidden = true;
    lastGrid = null;
  }

  // Colours a coarse grid (values 0..1) and lets the browser smooth it up to the image's size.
  function drawHeat(grid) {
    const canvas = $('heatmap');
    const img = $('preview');
    const rows = grid.length;
    const cols = grid[0].length;
    const small = document.createElement('canvas');
    small.width = cols;
    small.height = rows;
    const sctx = small.getContext('2d');
    const cells = sctx.createImageData(cols, rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = Math.max(0, Math.min(1, grid[r][c]));
        const i = (r * cols + c) * 4;
        cells.data[i] = 255;
        cells.data[i + 1] = Math.round(220 * (1 - v));
        cells.data[i + 2] = 0;
        cells.data[i + 3] = Math.round(255 * v);
      }
    }
    sctx.putImageData(cells, 0, 0);
    canvas.width = img.naturalWidth || 224;
    canvas.height = img.naturalHeight || 224;
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = true;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    canvas.hidden = !$('show-heat').checked;
    $('heat-toggle').hidden = false;
  }

  function render(res) {
    $('busy').hidden = true;
    const label = $('label');
    label.textContent = res.label;
    label.className = `label ${res.label}`;
    const pct = (res.probability * 100).toFixed(1);
    const pneumonia = (res.probabilities.PNEUMONIA * 100).toFixed(1);
    $('probability').textContent = `${pct}% ${res.label}`;
    $('bar-fill').style.width = `${pneumonia}%`;
    $('bar').setAttribute('aria-valuenow', pneumonia);
    $('bar').setAttribute('aria-label', `probability of pneumonia ${pneumonia}%`);
    const version = res.model_version === null ? 'model folder' : `v${res.model_version}`;
    const cut = (res.threshold * 100).toFixed(1);
    $('bar-cut').style.left = `${cut}%`;
    $('bar-cut').hidden = false;
    $('details').textContent = `P(pneumonia) ${pneumonia}% (PNEUMONIA from ${cut}%, the model's calibrated threshold) · model ${version} · ${Math.round(res.latency_ms)} ms`;
    $('model-version').textContent = version;
    if (res.model_promoted_at) $('model-promoted').textContent = new Date(res.model_promoted_at).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    if (res.explanation && res.explanation.grid) {
      lastGrid = res.explanation.grid;
      if ($('preview').complete) drawHeat(lastGrid);
      else $('preview').addEventListener('load', () => drawHeat(lastGrid), { once: true });
    }
  }

  async function send(file) {
    reset();
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    $('preview').src = previewUrl;
    if (file.size > maxBytes) {
      showError(`The file is ${(file.size / 1048576).toFixed(1)} MB; the limit is ${app.dataset.maxMb} MB.`);
      return;
    }
    const body = new FormData();
    body.append('file', file, file.name);
    try {
      const r = await fetch(explain ? '/predict?explain=1' : '/predict', { method: 'POST', body, headers: { accept: 'application/json' } });
      const res = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
      if (!r.ok) showError(res.error || `HTTP ${r.status}`);
      else render(res);
    } catch (err) {
      showError(`Could not reach the server: ${err.message}`);
    }
  }

  input.addEventListener('change', () => {
    if (input.files && input.files[0]) send(input.files[0]);
  });
  for (const ev of ['dragenter', 'dragover']) {
    drop.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) send(file);
  });
  $('show-heat').addEventListener('change', () => {
    if (lastGrid) $('heatmap').hidden = !$('show-heat').checked;
  });
})();
