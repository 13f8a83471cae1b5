// Test fixture: a temp dir with a real store (SQLite, or PostgreSQL when the suite runs on it: DAGCTL_DATABASE_URL), a fake clock, the in-process executor and a scheduler.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { syncBag } from '../../src/engine/bag-sync.js';
import { FakeClock } from '../../src/engine/clock.js';
import type { DAG } from '../../src/engine/dag.js';
import { bagOf } from '../../src/engine/dagbag.js';
import { InProcessExecutor } from '../../src/engine/executor/in-process.js';
import { Scheduler, type RunEvent, type SchedulerOptions, type TickResult } from '../../src/engine/scheduler.js';
import { openStore } from '../../src/engine/store/open.js';
import { freshDatabase as freshPostgresDatabase } from '../fixtures/postgres/database.js';
import type { Store } from '../../src/engine/store/store.js';

export const silent = pino({ level: 'silent' });
const cleanups: Array<() => void> = [];
export function cleanup(): void {
  while (cleanups.length) cleanups.pop()!();
}

export const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Resolves once `cond` holds; polls, because the state changes in another process. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, pollMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** `dagctl ARGS` in its own process, as a user starts it, with `env` over this process's environment; stderr is kept. */
export function dagctl(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess & { stderrText: () => string } {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'dagctl.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const err: string[] = [];
  child.stderr!.on('data', (d: Buffer) => err.push(d.toString()));
  return Object.assign(child, { stderrText: () => err.join('') });
}

export function tempDir(prefix = 'dagctl-engine-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * On the `postgres` test project (DAGCTL_TEST_STORE=postgres), points DAGCTL_DATABASE_URL at a new empty
 * database until cleanup(): openStore, openEngine and the `dagctl` processes a test starts all follow it.
 * On SQLite nothing is needed: each home has its own file.
 */
export function freshDatabase(): void {
  if (process.env.DAGCTL_TEST_STORE !== 'postgres') return;
  const db = freshPostgresDatabase();
  const before = process.env.DAGCTL_DATABASE_URL;
  process.env.DAGCTL_DATABASE_URL = db.url;
  cleanups.push(() => {
    if (before === undefined) delete process.env.DAGCTL_DATABASE_URL;
    else process.env.DAGCTL_DATABASE_URL = before;
    db.drop();
  });
}

export interface Harness {
  dir: string;
  clock: FakeClock;
  store: Store;
  executor: InProcessExecutor;
  scheduler: Scheduler;
  events: RunEvent[];
  /** tick + wait for in-process attempts, until nothing changes. */
  settle(maxTicks?: number): Promise<TickResult[]>;
  states(runId: string, dagId?: string): Record<string, string | null>;
}

const changed = (r: TickResult): boolean =>
  r.createdRuns.length + r.startedRuns.length + r.finishedRuns.length + r.scheduled + r.settled + r.queued + r.ended + r.retried + r.zombies + r.timedOutRuns > 0;

export function harness(dags: DAG[], o: { now?: string; parallelism?: number; scheduler?: Partial<SchedulerOptions> } = {}): Harness {
  const dir = tempDir();
  freshDatabase();
  const clock = new FakeClock(o.now ?? '2026-01-10T00:00:00Z');
  const store = openStore(dir, clock.now().toISOString());
  cleanups.push(() => store.close());
  const bag = bagOf(dags);
  syncBag(store, bag, clock.now());
  const executor = new InProcessExecutor({
    parallelism: o.parallelism ?? 4,
    clock,
    getDag: (id) => bag.dags.get(id),
    store,
  });
  const events: RunEvent[] = [];
  const scheduler = new Scheduler({ store, dags: bag.dags, executor, logger: silent, home: dir, onEvent: (e) => events.push(e), ...o.scheduler });
  return {
    dir, clock, store, executor, scheduler, events,
    async settle(maxTicks = 100) {
      const out: TickResult[] = [];
      for (let i = 0; i < maxTicks; i++) {
        const r = scheduler.tick(clock.now());
        out.push(r);
        await executor.idle();
        if (!changed(r) && scheduler.pendingEvents === 0) return out;
      }
      throw new Error(`did not settle in ${maxTicks} ticks`);
    },
    states(runId, dagId = dags[0]!.dagId) {
      return Object.fromEntries(store.listTis({ dagId, runId }).map((t) => [t.task_id, t.state]));
    },
  };
}
