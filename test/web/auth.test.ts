// Authentication and roles on the real server: HTTP Basic, the login page and its signed session cookie,
// CSRF on cookie-authenticated changes, failed-login rate limiting, the secret key file.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secretFile } from '../../src/web/auth/secret.js';
import { apiServer, basic, PASSWORDS, type ApiServer } from './api-harness.js';

let s: ApiServer;
beforeAll(async () => {
  s = await apiServer({ server: { throttle: { max: 3, windowMs: 60_000 } } });
});
afterAll(async () => s?.close());

/** Cookies a response sets, as one Cookie header value (name=value; …), merged over `jar`. */
function cookies(res: Response, jar: Record<string, string> = {}): Record<string, string> {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair!.indexOf('=');
    jar[pair!.slice(0, at)] = pair!.slice(at + 1);
  }
  return jar;
}
const cookieHeader = (jar: Record<string, string>): string => Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');

/** Logs in through the form as `username` and returns the cookie jar holding the session. */
async function login(username: string, password: string): Promise<{ jar: Record<string, string>; res: Response }> {
  const page = await fetch(`${s.url}/login?next=/api/v1/dags`);
  const jar = cookies(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(`${s.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
    body: new URLSearchParams({ username, password, _csrf: csrf, next: '/api/v1/dags' }).toString(),
  });
  return { jar: cookies(res, jar), res };
}

describe('HTTP Basic', () => {
  test('no credentials: 401 UNAUTHORIZED with WWW-Authenticate: Basic', async () => {
    const r = await s.call('GET', '/api/v1/dags', { as: null });
    expect([r.status, r.statusText]).toEqual([401, 'UNAUTHORIZED']);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="dagctl"/);
    expect(((await r.json()) as { title: string }).title).toBe('Unauthorized');
  });

  test('a wrong password or an unknown user is 401; the right one is 200', async () => {
    const wrong = await fetch(`${s.url}/api/v1/dags`, { headers: { authorization: basic('viewer', 'nope') } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${s.url}/api/v1/dags`, { headers: { authorization: basic('ghost', 'x') } })).status).toBe(401);
    expect((await fetch(`${s.url}/api/v1/dags`, { headers: { authorization: basic('viewer', PASSWORDS.Viewer) } })).status).toBe(200);
  });

  test('a browser page without credentials goes to the login page, with next', async () => {
    const r = await fetch(`${s.url}/api/v1/dags?limit=1`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/api/v1/dags?limit=1')}`);
  });

  test('roles: a Viewer reads but may not trigger, pause or clear; Op may', async () => {
    expect((await s.call('GET', '/api/v1/dags/api_demo', { as: 'Viewer' })).status).toBe(200);
    for (const [m, p, body] of [
      ['POST', '/api/v1/dags/paused_demo/dagRuns', {}],
      ['PATCH', '/api/v1/dags/paused_demo?update_mask=is_paused', { is_paused: true }],
      ['POST', '/api/v1/dags/paused_demo/clearTaskInstances', { dry_run: true }],
    ] as const) {
      const r = await s.json(m, p, { as: 'Viewer', body });
      expect(r.status, `${m} ${p}`).toBe(403);
      expect(r.body.detail).toContain('Viewer');
    }
    expect((await s.call('POST', '/api/v1/dags/paused_demo/clearTaskInstances', { as: 'Op', body: { dry_run: true } })).status).toBe(200);
  });

  test('a deleted user is refused at once, though their password was just verified', async () => {
    await s.users.create({ username: 'temp', password: 'temp-pass', role: 'Viewer' });
    const auth = { authorization: basic('temp', 'temp-pass') };
    expect((await fetch(`${s.url}/api/v1/version`, { headers: auth })).status).toBe(200);
    s.users.delete('temp');
    expect((await fetch(`${s.url}/api/v1/version`, { headers: auth })).status).toBe(401);
  });

  test('failed logins are rate-limited per address and user: 429 with Retry-After, even for the right password', async () => {
    const wrong = { authorization: basic('op', 'wrong') };
    for (let i = 0; i < 3; i++) expect((await fetch(`${s.url}/api/v1/dags`, { headers: wrong })).status).toBe(401);
    const limited = await fetch(`${s.url}/api/v1/dags`, { headers: wrong });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${s.url}/api/v1/dags`, { headers: { authorization: basic('op', PASSWORDS.Op) } })).status).toBe(429);
    // Another user from the same address is not locked out.
    expect((await s.call('GET', '/api/v1/dags', { as: 'Admin' })).status).toBe(200);
  });
});

describe('the login page and its session', () => {
  test('logs in with the form (CSRF token, signed httpOnly cookie) and redirects to next', async () => {
    const { jar, res } = await login('admin', PASSWORDS.Admin);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/api/v1/dags');
    expect(res.headers.getSetCookie().find((c) => c.startsWith('dagctl_session='))).toMatch(/HttpOnly/i);
    const r = await fetch(`${s.url}/api/v1/dags`, { headers: { cookie: cookieHeader(jar) } });
    expect(r.status).toBe(200);
  });

  test('a wrong password shows the form again with 401; a tampered cookie is no session', async () => {
    const { res } = await login('viewer', 'wrong');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Invalid login');
    const { jar } = await login('viewer', PASSWORDS.Viewer);
    const forged = { ...jar, dagctl_session: jar.dagctl_session!.replace('viewer', 'admin') };
    expect((await fetch(`${s.url}/api/v1/dags`, { headers: { cookie: cookieHeader(forged) } })).status).toBe(401);
  });

  test('a change with the session cookie needs the CSRF token (x-csrf-token)', async () => {
    const { jar } = await login('admin', PASSWORDS.Admin); // (op is locked out by the rate-limit test above)
    const headers = { cookie: cookieHeader(jar), 'content-type': 'application/json' };
    const refused = await fetch(`${s.url}/api/v1/dags/paused_demo?update_mask=is_paused`, { method: 'PATCH', headers, body: '{"is_paused": true}' });
    expect(refused.status).toBe(403);
    // The UI renders reply.generateCsrf() into its pages; the login page is one such page.
    const page = await fetch(`${s.url}/login`, { headers: { cookie: cookieHeader(jar) } });
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const allowed = await fetch(`${s.url}/api/v1/dags/paused_demo?update_mask=is_paused`, { method: 'PATCH', headers: { ...headers, 'x-csrf-token': token }, body: '{"is_paused": true}' });
    expect(allowed.status).toBe(200);
  });

  test('the login form refuses a post without its CSRF token, and never redirects off the server', async () => {
    const r = await fetch(`${s.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=admin&password=admin-pass' });
    expect(r.status).toBe(403);
    const page = await fetch(`${s.url}/login?next=//evil.example/x`);
    expect(await page.text()).toContain('name="next" value="/"');
  });

  test('logout ends the session', async () => {
    const { jar } = await login('admin', PASSWORDS.Admin);
    const out = await fetch(`${s.url}/logout`, { redirect: 'manual', headers: { cookie: cookieHeader(jar) } });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().find((c) => c.startsWith('dagctl_session='))).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  test('the signing key lives in DAGCTL_HOME, readable by its owner only', () => {
    expect(statSync(secretFile(s.home)).mode & 0o777).toBe(0o600);
  });
});

describe('failed logins across many usernames from one address', () => {
  test('are limited per address too: one password tried on many names gets 429, and so does that address', async () => {
    const t = await apiServer({ server: { throttle: { max: 3, maxPerAddress: 4, windowMs: 60_000 } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${t.url}/api/v1/dags`, { headers: { authorization: basic(`nobody${i}`, 'guess') } })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      expect((await t.call('GET', '/api/v1/dags', { as: 'Admin' })).status).toBe(429);
    } finally {
      await t.close();
    }
  });
});

describe('where a login sends the browser next', () => {
  test('only to a path on this server', async () => {
    const { safeNext } = await import('../../src/web/auth/login.js');
    expect(safeNext('/dags/x/grid?run=1#top')).toBe('/dags/x/grid?run=1#top');
    for (const evil of ['//evil.example', '/\\evil.example', '/\t/evil.example', '/\n/evil.example', 'https://evil.example/', '/%09/x\u0000', 'evil', 42]) {
      expect(safeNext(evil), JSON.stringify(evil)).toBe('/');
    }
  });
});
