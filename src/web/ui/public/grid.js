// Keeps the grid live: while a run is active the server streams each run's states (SSE); cells and run heads
// change colour in place, a new run reloads the page for its column, and `end` closes the stream.
'use strict';
(function () {
  const grid = document.getElementById('grid');
  if (!grid || grid.dataset.live !== '1') return;
  const cells = new Map();
  for (const el of grid.querySelectorAll('[data-run][data-task]')) cells.set(`${el.dataset.run}\u0000${el.dataset.task}`, el);
  const groups = [...grid.querySelectorAll('[data-run][data-group]')];
  const heads = new Map([...grid.querySelectorAll('[data-run-head]')].map((el) => [el.dataset.runHead, el]));
  const live = document.getElementById('live');
  const runState = document.getElementById('run-state');
  const setState = (el, state) => {
    for (const c of [...el.classList]) if (c.startsWith('state-')) el.classList.remove(c);
    el.classList.add(`state-${state ?? 'none'}`);
    el.dataset.state = state ?? 'none';
    if (el.classList.contains('cell')) el.title = state ?? 'no status';
  };
  // Same order as the server's group summary (grid-data.ts).
  const ORDER = ['failed', 'upstream_failed', 'up_for_retry', 'up_for_reschedule', 'restarting', 'running', 'queued', 'scheduled', 'none', 'skipped', 'removed', 'success'];

  const source = new EventSource(grid.dataset.stream);
  source.addEventListener('run', (ev) => {
    const run = JSON.parse(ev.data);
    for (const [task, state] of Object.entries(run.tis)) {
      const el = cells.get(`${run.run_id}\u0000${task}`);
      if (el) setState(el, state);
    }
    for (const g of groups) {
      if (g.dataset.run !== run.run_id) continue;
      let best = ORDER.length;
      for (const [task, state] of Object.entries(run.tis)) {
        if (task.startsWith(`${g.dataset.group}.`)) best = Math.min(best, ORDER.indexOf(state ?? 'none'));
      }
      const s = ORDER[best];
      setState(g, s === undefined || s === 'none' ? null : s);
    }
    const head = heads.get(run.run_id);
    if (head) setState(head, run.state);
    if (runState && runState.closest('#run-panel')?.querySelector('a')?.textContent === run.run_id) {
      runState.textContent = run.state;
      setState(runState, run.state);
    }
  });
  source.addEventListener('new-run', () => { source.close(); location.reload(); });
  const stop = () => { source.close(); if (live) live.hidden = true; grid.dataset.live = '0'; };
  source.addEventListener('end', stop);
  source.addEventListener('error', (ev) => {
    if (ev.data) window.dagctl.flash(JSON.parse(ev.data).message);
    if (source.readyState === EventSource.CLOSED) stop();
  });
})();
