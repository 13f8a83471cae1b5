// A task instance page: clear / mark through the REST API, and the log followed while the try runs.
'use strict';
(function () {
  const box = document.getElementById('ti-actions');
  if (box) {
    const { dagId, runId, taskId } = box.dataset;
    const base = `/api/v1/dags/${encodeURIComponent(dagId)}`;
    box.addEventListener('click', async (ev) => {
      const button = ev.target.closest('button[data-action]');
      if (!button) return;
      const action = button.dataset.action;
      let what;
      try {
        button.disabled = true;
        if (action === 'clear') {
          const downstream = document.getElementById('clear-downstream').checked;
          what = 'clear';
          await window.dagctl.api('POST', `${base}/clearTaskInstances`, {
            dry_run: false, task_ids: [taskId], dag_run_id: runId, include_downstream: downstream, only_failed: false, reset_dag_runs: true,
          });
        } else {
          const state = action === 'mark-success' ? 'success' : 'failed';
          what = `mark ${state}`;
          await window.dagctl.api('POST', `${base}/updateTaskInstancesState`, { dry_run: false, task_id: taskId, dag_run_id: runId, new_state: state });
        }
        location.reload();
      } catch (err) {
        window.dagctl.flash(`Could not ${what}: ${err.message}`);
        button.disabled = false;
      }
    });
  }

  const log = document.getElementById('log');
  if (!log || log.dataset.follow !== '1') return;
  const badge = document.getElementById('ti-state');
  const following = document.getElementById('log-following');
  const FINISHED = new Set(['success', 'failed', 'upstream_failed', 'skipped', 'removed', 'up_for_retry']);
  let timer;
  async function poll() {
    try {
      const res = await fetch(log.dataset.logUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      const data = await res.json();
      const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
      if (log.textContent !== data.content) log.textContent = data.content;
      if (atBottom) window.scrollTo(0, document.body.scrollHeight);
      if (badge) {
        badge.textContent = data.state ?? 'no status';
        badge.className = `badge state-${data.state ?? 'none'}`;
      }
      if (FINISHED.has(data.state)) {
        if (following) following.hidden = true;
        return;
      }
    } catch (err) {
      window.dagctl.flash(`Log follow paused: ${err.message}`);
    }
    timer = setTimeout(poll, 1000);
  }
  timer = setTimeout(poll, 1000);
  window.addEventListener('pagehide', () => clearTimeout(timer));
})();
