import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { championSource } from '../../src/serve/source.js';
import { FIXTURES, fixture, tempDir, testLogger, writeTinyModel } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve(import.meta.dirname, '../../test-output/serve');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser test skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('the upload page in headless Chromium', () => {
  let server: RunningServer;
  let browser: BrowserContext;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    const registry = openRegistry({ root: path.join(t.dir, 'registry'), logger: testLogger() });
    const v = await registry.register(await writeTinyModel(path.join(t.dir, 'model'), { inputSize: 64 }), {});
    await registry.promote(v.version, { by: 'test', reason: 'browser test' });
    server = await startServer({ source: championSource(registry), logger: testLogger(), port: 0, processMetrics: false });
    await mkdir(SHOTS, { recursive: true });
    const profile = await tempDir('dagctl-serve-chromium-');
    cleanups.push(profile.cleanup);
    // A persistent context is how Playwright takes a fresh --user-data-dir; it adds --headless itself.
    browser = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1100, height: 800 },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const c of cleanups) await c();
  });

  it('uploads an X-ray through the file picker and shows the label, probability and heat map', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/`);
    await expect(page.locator('#model-version').textContent()).resolves.toBe('v1');
    await expect(page.locator('.notice').textContent()).resolves.toMatch(/Not a medical device/);
    await page.setInputFiles('#file', path.join(FIXTURES, 'pneumonia-1.jpeg'));
    const label = page.locator('#label');
    await label.filter({ hasText: /^(NORMAL|PNEUMONIA)$/ }).waitFor({ timeout: 20_000 });
    const text = await label.textContent();
    expect(['NORMAL', 'PNEUMONIA']).toContain(text);
    await expect(page.locator('#probability').textContent()).resolves.toMatch(new RegExp(`^\\d{1,3}\\.\\d% ${text}$`));
    const width = await page.locator('#bar-fill').evaluate((el) => (el as { style: { width: string } }).style.width);
    expect(width).toMatch(/^\d+(\.\d+)?%$/);
    await expect(page.locator('#details').textContent()).resolves.toContain('model v1');
    // The decision threshold is shown as text and as a mark on the probability bar.
    await expect(page.locator('#details').textContent()).resolves.toMatch(/PNEUMONIA from \d+\.\d%, the model's calibrated threshold/);
    await expect(page.locator('#bar-cut').isVisible()).resolves.toBe(true);
    await page.locator('#heatmap').waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(SHOTS, 'upload-desktop.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('accepts a dropped file, shows errors from the server, and fits a phone screen', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/`);
    // In-page code is passed as a string: this project compiles without the DOM typings.
    const drop = async (name: string, bytes: Buffer, type: string): Promise<void> => {
      await page.evaluate(`(() => {
        const bin = Uint8Array.from(atob(${JSON.stringify(bytes.toString('base64'))}), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bin], ${JSON.stringify(name)}, { type: ${JSON.stringify(type)} }));
        document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      })()`);
    };
    await drop('notes.txt', Buffer.from('not an x-ray'), 'text/plain');
    await page.locator('#error').filter({ hasText: /not a JPEG or PNG/ }).waitFor({ timeout: 20_000 });
    await drop('normal.jpeg', await fixture('normal-1.jpeg'), 'image/jpeg');
    await page.locator('#label').filter({ hasText: /^(NORMAL|PNEUMONIA)$/ }).waitFor({ timeout: 20_000 });
    await expect(page.locator('#error').textContent()).resolves.toBe('');
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(SHOTS, 'upload-phone.png'), fullPage: true });
    await page.goto(`${server.url}/models`);
    await expect(page.locator('table.models tbody tr').count()).resolves.toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'models-phone.png'), fullPage: true });
    await page.close();
  });
});
