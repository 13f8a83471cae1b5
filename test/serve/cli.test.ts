import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dagctl, REPO } from '../cli/harness.js';
import { fixture, json, tempDir, writeTinyModel } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup?.());

describe('dagctl serve', () => {
  it('serves a model folder, answers /predict, and stops cleanly on SIGTERM', async () => {
    const model = await writeTinyModel(path.join(dir, 'model'));
    const child = spawn(process.execPath, [path.join(REPO, 'bin/dagctl.js'), '--home', path.join(dir, 'home'), 'serve', '--model', model, '--port', '0', '--backend', 'cpu'], {
      cwd: REPO,
      env: { ...process.env, DAGCTL_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      let url: string | undefined;
      for await (const line of createInterface({ input: child.stderr! })) {
        const m = /^serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (m) {
          url = m[1];
          expect(line).toContain(`source folder ${model}`);
          break;
        }
      }
      expect(url).toBeDefined();
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
      const res = await json(fetch(`${url}/predict`, { method: 'POST', body: await fixture('normal-1.jpeg'), headers: { 'content-type': 'image/jpeg' } }));
      expect(['NORMAL', 'PNEUMONIA']).toContain(res.label);
      expect(res.model_version).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses a model folder that does not exist with a usage error and a hint', async () => {
    const r = await dagctl(path.join(dir, 'home'), ['serve', '--model', path.join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such model folder/);
    expect(r.stderr).toMatch(/hint: pass champion, a registered version number/);
  });

  it('refuses a registry version that does not exist', async () => {
    const r = await dagctl(path.join(dir, 'home'), ['serve', '--model', '7', '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no version 7/);
  });

  it('rejects a bad port and a bad upload limit before starting', async () => {
    expect((await dagctl(path.join(dir, 'home'), ['serve', '--port', '70000'])).code).toBe(1);
    const r = await dagctl(path.join(dir, 'home'), ['serve', '--max-upload-mb', 'lots']);
    expect(r.stderr).toMatch(/expected a size in MB/);
  });
});
