import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

// Runs without the addon on purpose, so it also runs where libdnnl is missing.
describe('@dagctl/tfjs-backend-native without its compiled addon', () => {
  it('register() rejects with code native_addon_missing and names the apt package', async () => {
    const script = `
      const m = await import('@dagctl/tfjs-backend-native');
      try { await m.register(); console.log(JSON.stringify({ ok: true })); }
      catch (e) { console.log(JSON.stringify({ ok: false, code: e.code, message: e.message, hint: e.hint, available: m.isAvailable() })); }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DAGCTL_NATIVE_ADDON: '/nonexistent/tfjs_native.node' },
    });
    const res = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(res).toMatchObject({ ok: false, code: 'native_addon_missing', available: false });
    expect(res.message).toMatch(/native-cpu backend unavailable/);
    expect(res.hint).toContain('apt-get install -y libdnnl-dev');
  });
});
