/**
 * Zombie detection: live attempts (running, restarting) that nothing backs. On this host a dead worker pid
 * is proof at once; otherwise no heartbeat from its worker for the threshold is (Airflow's
 * scheduler_zombie_task_threshold).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskInstanceRow } from './store/rows.js';

export interface ZombieCheck {
  /** jobKey()s of the attempts this process's executor holds: those are alive. */
  mine: ReadonlySet<string>;
  hostname: string;
  isPidAlive: (pid: number) => boolean;
  thresholdMs: number;
  now: Date;
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGKILLs a process group (a worker and what its attempt started), if anything of it is left. */
export function killProcessGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* no such group: nothing left */
  }
}

/**
 * Is `pid` a dagctl worker process? A live pid whose heartbeat stopped may have been reused by an unrelated
 * process (after a reboot); only a worker's group is killed. Linux answers from /proc; elsewhere: no.
 */
export function isWorkerProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`executor${path.sep}worker.ts`);
  } catch {
    return false;
  }
}

export function findZombies(running: readonly TaskInstanceRow[], c: ZombieCheck, key: (ti: TaskInstanceRow) => string): Array<{ ti: TaskInstanceRow; why: string }> {
  const out: Array<{ ti: TaskInstanceRow; why: string }> = [];
  for (const ti of running) {
    if (c.mine.has(key(ti))) continue;
    if (ti.hostname === c.hostname && ti.pid !== null && !c.isPidAlive(ti.pid)) out.push({ ti, why: `its process ${ti.pid} is gone` });
    else if (!ti.heartbeat_at || c.now.getTime() - new Date(ti.heartbeat_at).getTime() > c.thresholdMs) out.push({ ti, why: 'no heartbeat' });
  }
  return out;
}
