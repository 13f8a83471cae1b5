// The trigger form: conf must parse as a JSON object before anything is sent; then POST dagRuns and go to the grid.
'use strict';
(function () {
  const form = document.getElementById('trigger-form');
  if (!form) return;
  const confEl = document.getElementById('conf');
  const errorEl = document.getElementById('conf-error');
  const dagId = form.dataset.dagId;

  function showError(message) {
    errorEl.textContent = message;
    errorEl.hidden = !message;
    confEl.classList.toggle('invalid', !!message);
  }

  // Returns the conf object, or null with the error shown.
  function checkConf() {
    const text = confEl.value.trim();
    if (text === '') { showError(''); return {}; }
    let conf;
    try {
      conf = JSON.parse(text);
    } catch (err) {
      showError(`Conf is not valid JSON: ${err.message}`);
      return null;
    }
    if (conf === null || typeof conf !== 'object' || Array.isArray(conf)) {
      showError('Conf must be a JSON object, e.g. {"force": true}');
      return null;
    }
    showError('');
    return conf;
  }

  confEl.addEventListener('input', () => { if (!errorEl.hidden) checkConf(); });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const conf = checkConf();
    if (conf === null) { confEl.focus(); return; }
    const body = { conf };
    for (const [field, id] of [['dag_run_id', 'dag-run-id'], ['logical_date', 'logical-date'], ['note', 'note']]) {
      const v = document.getElementById(id).value.trim();
      if (v) body[field] = v;
    }
    const button = document.getElementById('trigger-submit');
    button.disabled = true;
    try {
      const run = await window.dagctl.api('POST', `/api/v1/dags/${encodeURIComponent(dagId)}/dagRuns`, body);
      location.href = `/dags/${encodeURIComponent(dagId)}/grid?dag_run_id=${encodeURIComponent(run.dag_run_id)}`;
    } catch (err) {
      window.dagctl.flash(`Trigger failed: ${err.message}`);
      button.disabled = false;
    }
  });
})();
