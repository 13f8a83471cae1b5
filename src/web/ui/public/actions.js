// Shared by every page: calls to the REST API with the session cookie and the CSRF token, errors shown in
// the flash bar, and the DAG pause toggles (checked = active, as in Airflow).
'use strict';
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  function flash(message, kind) {
    const el = document.getElementById('flash');
    if (!el) return;
    el.textContent = message;
    el.className = `flash ${kind || 'error'}`;
    el.hidden = !message;
  }

  // Airflow's problem JSON says what went wrong in `detail` (or `title`).
  async function api(method, url, body) {
    const res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) {
      const why = (data && (data.detail || data.title)) || text || res.statusText;
      throw new Error(`${res.status}: ${why}`);
    }
    return data;
  }

  document.addEventListener('change', async (ev) => {
    const box = ev.target;
    if (!(box instanceof HTMLInputElement) || !box.classList.contains('pause-toggle')) return;
    const dagId = box.dataset.dagId;
    const paused = !box.checked;
    box.disabled = true;
    try {
      const dag = await api('PATCH', `/api/v1/dags/${encodeURIComponent(dagId)}?update_mask=is_paused`, { is_paused: paused });
      box.checked = !dag.is_paused;
      flash('');
    } catch (err) {
      box.checked = paused; // put it back: the change did not happen
      flash(`Could not ${paused ? 'pause' : 'unpause'} ${dagId}: ${err.message}`);
    } finally {
      box.disabled = false;
    }
  });

  window.dagctl = { api, flash };
})();
