import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { RegistryLockTimeoutError, openRegistry } from '../../src/registry/index.js';
import { FIXTURE_MODEL, silent, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('../fixtures/registry/child.ts', import.meta.url));
const by = { by: 'tester', reason: 'test' };

function child(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function output(p: ReturnType<typeof child>): Promise<string> {
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(p, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`child exited ${code}: ${err}`);
  return out;
}

describe('registry: crashes and other processes', () => {
  it('keeps the old champion when a promotion died before its rename (temp file left behind)', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    await reg.register(FIXTURE_MODEL);
    await reg.register(FIXTURE_MODEL);
    await reg.promote(1, by);
    // What a process killed between write and rename leaves: a torn temp file beside champion.json.
    await fs.writeFile(path.join(reg.dir, 'champion.json.tmp-99999-deadbeef'), '{"version": 2, "promo');
    expect((await reg.champion())?.version).toBe(1);
    expect((await reg.resolve('champion')).version).toBe(1);
    expect((await reg.list()).filter((v) => v.is_champion).map((v) => v.version)).toEqual([1]);
    // And the next deploy works in spite of the leftover.
    await reg.promote(2, by);
    expect((await reg.champion())?.version).toBe(2);
  });

  it('repairs the history when a crash hit between the champion switch and the history append', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent });
    for (let i = 0; i < 3; i++) await reg.register(FIXTURE_MODEL);
    await reg.promote(1, by);
    await reg.promote(2, by);
    const historyFile = path.join(reg.dir, 'promotions.jsonl');
    const lines = (await fs.readFile(historyFile, 'utf8')).trimEnd().split('\n');
    // Drop the last entry and leave half of it, as a crash during the append would.
    await fs.writeFile(historyFile, `${lines[0]}\n${lines[1]?.slice(0, 20)}`);
    expect((await reg.history()).map((p) => p.version)).toEqual([1, 2]);
    await reg.promote(3, by);
    expect((await reg.history()).map((p) => p.version)).toEqual([1, 2, 3]);
    expect((await reg.rollback(by)).version).toBe(2);
    expect((await reg.rollback(by)).version).toBe(1);
  });

  it('survives a process killed (SIGKILL) in the middle of promotions: a valid champion, the lock recovered', async () => {
    const home = await tempDir();
    const root = path.join(home, 'registry');
    const reg = openRegistry({ root, logger: silent, lockTimeoutMs: 10_000 });
    await reg.register(FIXTURE_MODEL);
    await reg.register(FIXTURE_MODEL);
    const p = child(['promote-loop', root]);
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      p.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      p.stdout.on('data', (d: Buffer) => {
        seen += d.toString().split('\n').filter(Boolean).length;
        if (seen >= 20) resolve();
      });
    });
    p.removeAllListeners('exit');
    p.kill('SIGKILL');
    await once(p, 'exit');
    const champ = await reg.champion();
    expect([1, 2]).toContain(champ?.version);
    const promoted = await reg.promote(champ?.version === 1 ? 2 : 1, { by: 'after-crash', reason: 'recovery' });
    expect((await reg.champion())?.version).toBe(promoted.version);
    expect((await reg.history()).length).toBeGreaterThanOrEqual(20);
  });

  it('breaks a lock left by a dead process, and times out with a hint on a live one', async () => {
    const home = await tempDir();
    const reg = openRegistry({ root: path.join(home, 'registry'), logger: silent, lockTimeoutMs: 200 });
    await reg.register(FIXTURE_MODEL);
    const dead = spawn(process.execPath, ['-e', '']);
    await once(dead, 'exit');
    const lockFile = path.join(reg.dir, '.lock');
    await fs.writeFile(lockFile, JSON.stringify({ pid: dead.pid, host: hostname(), at: '2026-01-01T00:00:00Z' }));
    expect((await reg.promote(1, by)).version).toBe(1);
    await fs.writeFile(lockFile, JSON.stringify({ pid: process.pid, host: hostname(), at: '2026-01-01T00:00:00Z' }));
    const err = await reg.rollback(by).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryLockTimeoutError);
    expect((err as RegistryLockTimeoutError).hint).toContain(lockFile);
    await fs.rm(lockFile);
  });

  it('numbers registrations from two processes at once without collisions', async () => {
    const home = await tempDir();
    const root = path.join(home, 'registry');
    // One child process and this process register at the same time (a second child would only add startup time).
    const [fromChild, here] = await Promise.all([
      output(child(['register', root, FIXTURE_MODEL, '3'])),
      Promise.all([0, 1, 2].map(() => openRegistry({ root, logger: silent }).register(FIXTURE_MODEL, { runId: 'parent' }))),
    ]);
    const versions = [...(JSON.parse(fromChild) as number[]), ...here.map((v) => v.version)].sort((x, y) => x - y);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6]);
    const list = await openRegistry({ root, logger: silent }).list();
    expect(list.map((v) => v.run_id).filter((r) => r === 'parent')).toHaveLength(3);
  });
});
