// The web UI in headless Chromium against the real `dagctl webserver` (src/web/server.ts): log in through
// /login, unpause a DAG, trigger it with conf (a bad conf is refused in the page first), watch the grid turn
// green live, open a task's log; a Viewer sees no actions. Screenshots go to test-output/web/.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunAdmin, type RunAdmin } from '../../src/engine/run-admin.js';
import { openEngine, systemClock, type Engine } from '../../src/engine/service.js';
import { openUserStore, type UserService } from '../../src/engine/users.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { silent, WEB_DAGS } from './ui-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve(import.meta.dirname, '../../test-output/web');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser test skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('the web UI in headless Chromium', () => {
  let home: string;
  let engine: Engine;
  let users: UserService;
  let runs: RunAdmin;
  let server: RunningWebServer;
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    // The demo's first task takes 1.5 s here, so the grid is seen before it turns green (workers inherit env).
    process.env.WEB_DEMO_TASK_MS = '1500';
    home = mkdtempSync(path.join(tmpdir(), 'dagctl-web-browser-'));
    engine = await openEngine({ home, dagsFolders: [WEB_DAGS], parallelism: 2, logger: silent, heartbeatS: 1 });
    users = openUserStore(home);
    runs = openRunAdmin(home);
    await users.create({ username: 'ada', password: 'ada-secret-1', role: 'Admin' });
    await users.create({ username: 'vic', password: 'vic-secret-1', role: 'Viewer' });
    server = await startWebServer({ engine, logger: silent, clock: systemClock, home, users, runs }, { host: '127.0.0.1', port: 0, ui: { pollMs: 100, serveUrl: 'http://127.0.0.1:8000/' } });
    await mkdir(SHOTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'dagctl-web-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 860 },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await engine?.close();
    runs?.close();
    users?.close();
    for (const d of [home, profile]) if (d) rmSync(d, { recursive: true, force: true });
    delete process.env.WEB_DEMO_TASK_MS;
  });

  /** A page that records script errors, so every step can assert there were none. */
  const open = async (): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Failed loads are listed by URL; the login page (not the UI's) has no icon, so Chromium asks for /favicon.ico.
    page.on('response', (r) => void (r.status() >= 400 && !r.url().endsWith('/favicon.ico') && errors.push(`${r.status()} ${r.url()}`)));
    return { page, errors };
  };
  const login = async (page: Page, username: string, password: string, next: string): Promise<void> => {
    await browser.clearCookies();
    await page.goto(`${server.url}${next}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#username', username);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${server.url}${next}`), page.click('button[type=submit]')]);
  };

  it('logs in, unpauses, triggers with conf, watches the grid turn green and opens a log', async () => {
    const { page, errors } = await open();
    await login(page, 'ada', 'ada-secret-1', '/home');
    await expect(page.locator('#import-errors').textContent()).resolves.toContain('broken_dag.ts');
    await page.screenshot({ path: path.join(SHOTS, 'home.png'), fullPage: true });

    // Unpause web_demo (paused on creation): the toggle PATCHes the REST API with the CSRF token.
    const toggle = page.locator('tr[data-dag-id="web_demo"] input.pause-toggle');
    await expect(toggle.isChecked()).resolves.toBe(false);
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/dags/web_demo?update_mask=is_paused') && r.status() === 200),
      page.locator('tr[data-dag-id="web_demo"] label.toggle').click(),
    ]);
    await expect(toggle.isChecked()).resolves.toBe(true);
    expect(engine.listDags().find((d) => d.dag_id === 'web_demo')?.is_paused).toBe(false);

    // Trigger with conf: a broken conf is refused in the page, nothing is sent.
    await page.click('tr[data-dag-id="web_demo"] a[title="Trigger DAG"]');
    await page.waitForURL(`${server.url}/dags/web_demo/trigger`);
    await page.fill('#conf', '{"size": 7,}');
    await page.click('#trigger-submit');
    await expect(page.locator('#conf-error').textContent()).resolves.toMatch(/^Conf is not valid JSON/);
    await page.screenshot({ path: path.join(SHOTS, 'trigger-invalid-conf.png') });
    expect(engine.listDagRuns({ dagId: 'web_demo' })).toHaveLength(0);
    await page.fill('#conf', '{"size": 7}');
    await Promise.all([page.waitForURL(/\/dags\/web_demo\/grid\?dag_run_id=/), page.click('#trigger-submit')]);
    const [run] = engine.listDagRuns({ dagId: 'web_demo' });
    expect(run?.conf).toEqual({ size: 7 });

    // The grid: the new run's cells start uncoloured and turn green over the live stream, without a reload.
    const cells = page.locator(`a.cell[data-run="${run!.run_id}"]`);
    await expect(cells.count()).resolves.toBe(3);
    await expect(page.locator(`a.cell.state-success[data-run="${run!.run_id}"]`).count()).resolves.toBeLessThan(3);
    await page.evaluate('window.__sameDocument = true');
    await page.waitForFunction(
      `[...document.querySelectorAll('a.cell[data-run="${run!.run_id}"]')].every((c) => c.classList.contains('state-success'))`,
      undefined,
      { timeout: 30_000 },
    );
    // The run's own state is a later event of the stream than its last task's.
    await page.waitForFunction(`document.querySelector('[data-run-head="${run!.run_id}"]')?.classList.contains('state-success')`, undefined, { timeout: 10_000 });
    await expect(page.evaluate('window.__sameDocument')).resolves.toBe(true);
    await page.locator('#live').waitFor({ state: 'hidden' });
    await page.screenshot({ path: path.join(SHOTS, 'grid-success.png'), fullPage: true });

    // A cell opens its task instance: tries, XCom and the log of the try.
    await Promise.all([page.waitForURL(/\/tasks\/prep\.extract$/), page.locator(`a.cell[data-run="${run!.run_id}"][data-task="prep.extract"]`).click()]);
    await expect(page.locator('#ti-state').textContent()).resolves.toBe('success');
    await expect(page.locator('#log').textContent()).resolves.toContain('extracted 3 rows <ok>');
    await expect(page.locator('#log').textContent()).resolves.toContain('extracting rows {"size":7}');
    await expect(page.locator('table.xcom').textContent()).resolves.toContain('"rows"');
    await page.screenshot({ path: path.join(SHOTS, 'task-log.png'), fullPage: true });

    await page.goto(`${server.url}/dags/web_demo/graph`);
    await expect(page.locator('#dag-graph a.node.state-success').count()).resolves.toBe(3);
    await page.screenshot({ path: path.join(SHOTS, 'graph.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a continuous_retraining run with its decision and charts', async () => {
    const { page, errors } = await open();
    await login(page, 'ada', 'ada-secret-1', '/dags/continuous_retraining/trigger');
    await page.fill('#conf', '{}');
    await Promise.all([page.waitForURL(/\/grid\?dag_run_id=/), page.click('#trigger-submit')]);
    const runId = new URL(page.url()).searchParams.get('dag_run_id')!;
    await page.waitForFunction(`document.querySelector('[data-run-head="${runId}"]')?.classList.contains('state-success')`, undefined, { timeout: 30_000 });
    await page.goto(`${server.url}/dags/continuous_retraining/runs/${encodeURIComponent(runId)}`);
    await expect(page.locator('#decision h3').textContent()).resolves.toBe('Decision: promote the candidate');
    await expect(page.locator('#training-charts svg.chart').count()).resolves.toBe(4);
    await expect(page.locator('#served-model').getAttribute('href')).resolves.toBe('http://127.0.0.1:8000/');
    await page.screenshot({ path: path.join(SHOTS, 'retraining-run.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('gives a Viewer no actions', async () => {
    const { page, errors } = await open();
    await login(page, 'vic', 'vic-secret-1', '/home');
    await expect(page.locator('a[title="Trigger DAG"]').count()).resolves.toBe(0);
    await expect(page.locator('tr[data-dag-id="web_demo"] input.pause-toggle').isDisabled()).resolves.toBe(true);
    const [run] = engine.listDagRuns({ dagId: 'web_demo' });
    await page.goto(`${server.url}/dags/web_demo/runs/${encodeURIComponent(run!.run_id)}/tasks/report`);
    await expect(page.locator('#ti-actions').count()).resolves.toBe(0);
    await expect(page.locator('#log').textContent()).resolves.toContain('report written');
    await page.screenshot({ path: path.join(SHOTS, 'viewer-task.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
