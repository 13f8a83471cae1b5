import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTaskLog, taskLogPath } from '../../src/engine/executor/task-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function file(): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'task-log-'));
  dirs.push(home);
  return taskLogPath(home, { dagId: 'd', runId: 'r', taskId: 't', tryNumber: 1 });
}

describe('attempt log files (created lazily)', () => {
  it('leaves no file for an attempt that only noted its start and success', () => {
    const f = file();
    const log = openTaskLog(f, { taskId: 't' });
    log.note('Starting attempt 1 of 1');
    log.note('Marking task as SUCCESS');
    log.close();
    expect(existsSync(f)).toBe(false);
  });

  it('creates the file at the first record the task logs, with the held notes first', () => {
    const f = file();
    const log = openTaskLog(f, { taskId: 't' });
    log.note('Starting attempt 1 of 1');
    expect(existsSync(f)).toBe(false);
    log.logger.info({ rows: 3 }, 'hello');
    log.note('Marking task as SUCCESS');
    log.close();
    const lines = readFileSync(f, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[.+Z\] INFO - Starting attempt 1 of 1$/);
    expect(lines[1]).toMatch(/\] INFO - hello \{"rows":3\}$/);
    expect(lines[2]).toMatch(/\] INFO - Marking task as SUCCESS$/);
  });

  it('materialize() writes what was held (a failed or long-running attempt)', () => {
    const f = file();
    const log = openTaskLog(f, { taskId: 't' });
    log.note('Starting attempt 1 of 2');
    log.materialize();
    expect(readFileSync(f, 'utf8')).toMatch(/INFO - Starting attempt 1 of 2\n$/);
    log.close();
    log.logger.info('after close'); // a stray logger writes nowhere
    expect(readFileSync(f, 'utf8')).not.toContain('after close');
  });
});
