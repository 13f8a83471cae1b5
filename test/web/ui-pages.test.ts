// The UI's pages over HTTP on 127.0.0.1 against a real engine and store: what they show, that nothing from a
// DAG file or a log reaches the page unescaped, that a Viewer sees no actions, and the errors for bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/web/ui/html.js';
import { uiServer, type UiServer } from './ui-harness.js';

let s: UiServer;
let runId: string;
let mlRunId: string;
const enc = encodeURIComponent;

beforeAll(async () => {
  s = await uiServer();
  s.engine.setPaused('web_demo', false);
  runId = s.engine.triggerDagRun('web_demo', { conf: { size: 5 } }).run_id;
  await s.engine.waitForRun('web_demo', runId);
  mlRunId = s.engine.triggerDagRun('continuous_retraining').run_id;
  await s.engine.waitForRun('continuous_retraining', mlRunId);
});
afterAll(async () => s?.close());

const page = async (p: string, role?: 'Viewer' | 'Op' | 'Admin'): Promise<{ status: number; body: string }> => {
  const r = await s.get(p, role);
  return { status: r.status, body: await r.text() };
};

describe('html template', () => {
  it('escapes every interpolation and keeps nested templates as markup', () => {
    const evil = `<img src=x onerror="alert('x')">&`;
    expect(html`<p title="${evil}">${evil}${html`<b>ok</b>`}</p>`.value).toBe(`<p title="${escapeHtml(evil)}">${escapeHtml(evil)}<b>ok</b></p>`);
    expect(escapeHtml(`"'<>&\``)).toBe('&quot;&#39;&lt;&gt;&amp;&#96;');
    expect(html`${null}${undefined}${false}${[1, html`<i>2</i>`]}`.value).toBe('1<i>2</i>');
  });
});

describe('the DAGs page', () => {
  it('redirects / to /home', async () => {
    const r = await fetch(`${s.url}/`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/home');
  });

  it('lists every DAG with toggle, schedule, tags, next run and run dots, import errors on top', async () => {
    const { status, body } = await page('/home');
    expect(status).toBe(200);
    expect(body.indexOf('id="import-errors"')).toBeGreaterThan(-1);
    expect(body.indexOf('id="import-errors"')).toBeLessThan(body.indexOf('<table class="dags">'));
    expect(body).toContain('Broken DAG: ');
    expect(body).toContain('broken_dag.ts');
    const row = body.slice(body.indexOf('<tr data-dag-id="web_demo">'), body.indexOf('</tr>', body.indexOf('<tr data-dag-id="web_demo">')));
    expect(row).toMatch(/class="pause-toggle" data-dag-id="web_demo"\s+checked/);
    expect(row).toContain('<code>0 0 * * *</code>');
    expect(row).toMatch(/<time datetime="2026-/);
    expect(row).toMatch(/class="dot state-success"/);
    expect(row).toContain('<span class="tag">demo</span>');
    expect(body).toContain('data-dag-id="continuous_retraining"');
  });

  it('escapes a hostile description and tag', async () => {
    const { body } = await page('/home');
    expect(body).not.toContain('<script>alert');
    expect(body).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; friends');
    expect(body).toContain('<span class="tag">&lt;b&gt;tag&lt;/b&gt;</span>');
    const grid = await page('/dags/web_demo/grid');
    expect(grid.body).not.toContain('<script>alert');
  });

  it('shows a Viewer no trigger button and a disabled toggle; Op and Admin get both', async () => {
    const viewer = (await page('/home', 'Viewer')).body;
    expect(viewer).not.toContain('/dags/web_demo/trigger');
    expect(viewer).toMatch(/data-dag-id="web_demo"\s+checked\s+disabled/);
    for (const role of ['Op', 'Admin'] as const) {
      const b = (await page('/home', role)).body;
      expect(b).toContain('href="/dags/web_demo/trigger"');
      expect(b).not.toMatch(/data-dag-id="web_demo"\s+checked\s+disabled/);
    }
    expect(viewer).toMatch(/<meta name="csrf-token" content="[^"]+">/);
  });
});

describe('the grid', () => {
  it('has runs as columns and tasks as rows, grouped tasks indented under their group, cells in state colours', async () => {
    const { status, body } = await page('/dags/web_demo/grid');
    expect(status).toBe(200);
    const rows = [...body.matchAll(/<th class="task-name" style="padding-left:([\d.]+)em">(?:&#9662; )?([^<]+)<\/th>/g)].map((m) => [m[2], Number(m[1])]);
    expect(rows).toEqual([['prep', 0.5], ['extract', 1.75], ['load', 1.75], ['report', 0.5]]);
    for (const t of ['prep.extract', 'prep.load', 'report']) {
      expect(body).toMatch(new RegExp(`class="cell state-success" data-run="${runId.replace(/[.+]/g, '\\$&')}" data-task="${t}" href="/dags/web_demo/runs/${enc(runId).replace(/[.+]/g, '\\$&')}/tasks/${t}"`));
    }
    expect(body).toContain('class="cell group state-success"');
    expect(body).toContain('data-live="0"');
  });

  it('answers 404 (HTML) for an unknown DAG and 400 for a bad num_runs', async () => {
    const missing = await page('/dags/no_such_dag/grid');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("DAG &#39;no_such_dag&#39; not found");
    const bad = await page('/dags/web_demo/grid?num_runs=0');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('num_runs');
    expect(bad.body).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('the graph', () => {
  it('draws the DAG as SVG laid out by dagre, nodes coloured by the chosen run', async () => {
    const { status, body } = await page(`/dags/web_demo/graph?dag_run_id=${enc(runId)}`);
    expect(status).toBe(200);
    expect(body).toMatch(/<svg class="dag-graph"[^>]*viewBox="0 0 [\d.]+ [\d.]+"/);
    expect(body.match(/<a class="node state-success" data-task="/g)).toHaveLength(3);
    expect(body.match(/<path class="edge" d="M[\d.,]+ L/g)?.length).toBeGreaterThanOrEqual(2);
    expect(body).toContain('<g class="group">');
    expect((await page('/dags/web_demo/graph?dag_run_id=nope')).status).toBe(404);
  });
});

describe('a task instance', () => {
  const ti = () => `/dags/web_demo/runs/${enc(runId)}/tasks/prep.extract`;

  it('shows its tries with durations, its XCom and the log of a try, escaped', async () => {
    const { status, body } = await page(ti());
    expect(status).toBe(200);
    expect(body).toMatch(/<tr class="selected"><td>1<\/td>/);
    expect(body).toMatch(/<td title="">\d+\.\d+ s<\/td>/);
    expect(body).toContain('<code>return_value</code>');
    expect(body).toContain('&quot;rows&quot;');
    expect(body).toContain('extracted 3 rows &lt;ok&gt;');
    expect(body).toContain('data-follow="0"');
  });

  it('hides clear and mark for a Viewer and shows them to an Op', async () => {
    expect((await page(ti(), 'Viewer')).body).not.toContain('data-action="clear"');
    const op = (await page(ti(), 'Op')).body;
    for (const a of ['clear', 'mark-success', 'mark-failed']) expect(op).toContain(`data-action="${a}"`);
  });

  it('answers 404 for a try that does not exist, an unknown task or run', async () => {
    expect((await page(`${ti()}?try_number=2`)).status).toBe(404);
    expect((await page(`/dags/web_demo/runs/${enc(runId)}/tasks/nope`)).status).toBe(404);
    expect((await page('/dags/web_demo/runs/nope/tasks/report')).status).toBe(404);
  });

  it('serves the log of a try as JSON for following, 404 past the last try', async () => {
    const url = `${s.url}/ui/dags/web_demo/runs/${enc(runId)}/tasks/prep.extract/log`;
    const r = await fetch(`${url}?try_number=1`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { content: string; state: string; try_number: number };
    expect(body.state).toBe('success');
    expect(body.content).toContain('extracted 3 rows <ok>');
    expect((await fetch(`${url}?try_number=3`)).status).toBe(404);
    expect((await fetch(`${url}?try_number=../../etc`)).status).toBe(400);
  });
});

describe('a mapped task', () => {
  it('shows one grid row, lists its instances by map index, and opens each with its own log and XCom', async () => {
    const run = s.engine.triggerDagRun('web_mapped').run_id;
    await s.engine.waitForRun('web_mapped', run);
    const grid = await page('/dags/web_mapped/grid');
    expect(grid.body.match(/data-task="add_one"/g)).toHaveLength(1);
    const list = await page(`/dags/web_mapped/runs/${enc(run)}/tasks/add_one`);
    expect(list.status).toBe(200);
    expect(list.body.match(/<a href="\/dags\/web_mapped\/runs\/[^"]+\/tasks\/add_one\?map_index=\d">/g)).toHaveLength(3);
    const one = await page(`/dags/web_mapped/runs/${enc(run)}/tasks/add_one?map_index=2`);
    expect(one.body).toContain('map index 2');
    expect(one.body).toContain('adding one to 3');
    expect(one.body).toMatch(/<code>return_value<\/code><\/td><td><pre>4<\/pre>/);
    expect((await page(`/dags/web_mapped/runs/${enc(run)}/tasks/add_one?map_index=7`)).status).toBe(404);
  });
});

describe('the trigger form', () => {
  it('is prefilled with the params and refused to a Viewer', async () => {
    const { body } = await page('/dags/web_demo/trigger', 'Op');
    expect(body).toContain('id="trigger-form" data-dag-id="web_demo"');
    expect(body).toMatch(/<textarea id="conf"[^>]*>\{\n {2}&quot;size&quot;: 3\n\}<\/textarea>/);
    expect((await page('/dags/web_demo/trigger', 'Viewer')).status).toBe(403);
  });
});

describe('a continuous_retraining run', () => {
  it('shows the decision, candidate vs champion, curves, ROC and confusion matrix as SVG, and the served model', async () => {
    const { status, body } = await page(`/dags/continuous_retraining/runs/${enc(mlRunId)}`);
    expect(status).toBe(200);
    expect(body).toContain('Decision: promote the candidate');
    expect(body).toContain('candidate beats champion v1');
    expect(body).toMatch(/<td>auc<\/td><td>0\.9300<\/td><td>0\.9000<\/td>/);
    expect(body).toContain('<code>auc_improvement</code>');
    expect(body).toContain('Deployed as model v2 (was v1)');
    for (const label of ['Loss per epoch', 'Accuracy per epoch', 'ROC (AUC 0.930)', 'Confusion matrix (threshold 0.420)']) expect(body).toContain(label);
    expect(body.match(/<svg class="chart"/g)).toHaveLength(4);
    expect(body).toContain('>363</text>');
    expect(body).toContain('href="http://127.0.0.1:8000/"');
  });

  it('says what is missing before the run has trained', async () => {
    const queued = s.engine.triggerDagRun('continuous_retraining', { logicalDate: new Date('2026-01-02T00:00:00Z') }).run_id;
    const { status, body } = await page(`/dags/continuous_retraining/runs/${enc(queued)}`);
    expect(status).toBe(200);
    expect(body).toContain('compare_models has not decided yet');
    expect(body).not.toContain('<svg class="chart"');
  });
});
