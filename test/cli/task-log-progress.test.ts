import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeSync, openSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/service.js';
import { watchTaskLogs } from '../../src/cli/follow.js';
import { createProgress, progressText } from '../../src/cli/progress.js';

const t0 = Date.parse('2026-11-27T17:49:00.000Z');
const iso = (ms: number): string => new Date(t0 + ms).toISOString();
const RUN = 'manual__x';
const task = (taskId: string, state: string | null, tryNumber: number, ms: number): RunEvent =>
  ({ type: 'task', dagId: 'd', runId: RUN, taskId, state, tryNumber, at: new Date(t0 + ms) }) as RunEvent;
/** One line as src/engine/executor/task-log.ts writes it. */
const line = (ms: number, msg: string, fields?: Record<string, unknown>): string =>
  `[${iso(ms)}] INFO - ${msg}${fields ? ` ${JSON.stringify({ child: true, ...fields })}` : ''}\n`;
const step = (ms: number, n: number, loss: number): string =>
  line(ms, 'train.step', { epoch: 1, epochs: 2, step: n, steps: 6, loss, images_per_s: 4.2, eta_s: 72 });

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'dagctl-follow-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function logFile(taskId: string, tryNumber = 1): string {
  const dir = path.join(home, 'logs', 'dag_id=d', `run_id=${RUN}`, `task_id=${taskId}`);
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `attempt=${tryNumber}.log`);
}

/** A pipe display and a log watcher fed the same events, the way `trigger --wait` wires them. */
function follow(interactive = false): { out: string[]; send: (e: RunEvent) => void; refresh: () => void; finish: () => void } {
  const out: string[] = [];
  const progress = createProgress({ write: (t) => out.push(t), interactive, taskIds: ['dvc_pull', 'train'], redrawMs: 0 });
  const logs = watchTaskLogs(home, progress);
  return {
    out,
    send: (e) => {
      logs.onEvent(e);
      progress.onEvent(e);
    },
    refresh: () => logs.refresh(),
    finish: () => progress.finish(),
  };
}

describe('progress from running tasks\' logs on a pipe', () => {
  it('prints the latest progress record of a running task once per look, ignoring partial lines and chatter', () => {
    const f = follow();
    f.send(task('train', 'running', 1, 0));
    f.refresh(); // no log file yet
    const file = logFile('train');
    appendFileSync(file, line(100, 'Starting attempt 1 of 1 (TrainResNet18Operator, run manual__x)'));
    appendFileSync(file, line(200, 'train.data', { train: { NORMAL: 180 } }));
    appendFileSync(file, step(52_100, 1, 0.7301).slice(0, 40)); // the child is mid-write
    f.refresh();
    expect(f.out).toHaveLength(1); // only the state change

    appendFileSync(file, step(52_100, 1, 0.7301).slice(40));
    f.refresh();
    expect(f.out.slice(1)).toEqual([' +52.100s  train     epoch 1/2  step 1/6  loss 0.730  4.2 img/s  eta 1m12s\n']);

    appendFileSync(file, step(53_000, 2, 0.71) + step(54_000, 3, 0.6912));
    f.refresh();
    f.refresh(); // nothing new: nothing printed
    expect(f.out.slice(2)).toEqual([' +54.000s  train     epoch 1/2  step 3/6  loss 0.691  4.2 img/s  eta 1m12s\n']);
  });

  it('reads only the bytes added since the last look', () => {
    const f = follow();
    f.send(task('train', 'running', 1, 0));
    const file = logFile('train');
    appendFileSync(file, step(1000, 1, 0.5));
    f.refresh();
    // Rewrite what was already read (same length): a reader starting from byte 0 would report step 9.
    const fd = openSync(file, 'r+');
    writeSync(fd, step(1000, 9, 0.5), 0);
    closeSync(fd);
    appendFileSync(file, line(2000, 'train.data', { train: { NORMAL: 180 } }));
    f.refresh();
    expect(f.out.filter((l) => l.includes('step'))).toEqual([expect.stringContaining('step 1/6')]);
  });

  it('skips a backlog larger than one read instead of parsing it', () => {
    const f = follow();
    f.send(task('train', 'running', 1, 0));
    const file = logFile('train');
    appendFileSync(file, line(500, 'chatter', { pad: 'x'.repeat(1000) }).repeat(400)); // ~400 KiB
    appendFileSync(file, step(1000, 4, 0.6));
    f.refresh();
    expect(f.out.slice(1)).toEqual([expect.stringContaining('step 4/6  loss 0.600')]);
  });

  it('shows an epoch summary read together with the next epoch\'s steps, and the final records before the task leaves running', () => {
    const f = follow();
    f.send(task('train', 'running', 1, 0));
    const file = logFile('train');
    appendFileSync(file, step(1000, 6, 0.6));
    appendFileSync(file, line(1500, 'train.epoch', { epoch: 1, epochs: 2, loss: 0.62, val_loss: 0.58, val_accuracy: 0.75, val_auc: 0.8123, images_per_s: 4.4 }));
    appendFileSync(file, line(1600, 'train.step', { epoch: 2, epochs: 2, step: 1, steps: 6, loss: 0.55 }));
    f.refresh();
    appendFileSync(file, line(9000, 'train.epoch', { epoch: 2, epochs: 2, loss: 0.5, val_auc: 0.9 }));
    appendFileSync(file, line(9100, 'train.done', { out: '/tmp/model' }));
    f.send(task('train', 'success', 1, 9200));
    expect(f.out.slice(1)).toEqual([
      '  +1.500s  train     epoch 1/2  loss 0.620  val_loss 0.580  val_acc 0.750  val_auc 0.812  4.4 img/s\n',
      '  +9.000s  train     epoch 2/2  loss 0.500  val_auc 0.900\n',
      '  +9.200s  train     running -> success  try 1  (9.20s)\n',
    ]);
    appendFileSync(file, step(9300, 1, 0.1));
    f.refresh(); // no longer running: its log is no longer read
    expect(f.out).toHaveLength(4);
  });

  it('follows the new attempt\'s file after a retry', () => {
    const f = follow();
    f.send(task('train', 'running', 1, 0));
    appendFileSync(logFile('train', 1), step(1000, 2, 0.5));
    f.send(task('train', 'up_for_retry', 1, 2000));
    f.send(task('train', 'running', 2, 3000));
    appendFileSync(logFile('train', 2), step(4000, 1, 0.9));
    f.refresh();
    expect(f.out.filter((l) => l.includes('step'))).toEqual([expect.stringContaining('step 2/6  loss 0.500'), expect.stringContaining('step 1/6  loss 0.900')]);
  });
});

describe('progress on a terminal', () => {
  it('shows the running task\'s latest progress in a progress column', () => {
    const f = follow(true);
    f.send(task('dvc_pull', 'success', 1, 0));
    const before = f.out.at(-1) ?? '';
    expect(before).not.toContain('progress');
    f.send(task('train', 'running', 1, 0));
    appendFileSync(logFile('train'), step(1000, 3, 0.6912));
    f.refresh();
    f.finish();
    const last = f.out.at(-1) ?? '';
    expect(last).toMatch(/│ task_id\s+│ state\s+│ try\s+│ duration\s+│ progress/);
    expect(last).toMatch(/│ train\s+│ running\s+│ 1\s+│ [^│]+│ epoch 1\/2 {2}step 3\/6 {2}loss 0\.691/);
  });
});

describe('progressText', () => {
  it('keeps only records shaped like progress', () => {
    expect(progressText('pulling', { files: 3 })).toBeUndefined();
    expect(progressText('starting child process', { cmd: 'dagctl train' })).toBeUndefined();
    expect(progressText('fit.batch', { step: 4, steps: 10 })).toBe('step 4/10');
    expect(progressText('train.step', { epoch: 1, epochs: 1, step: 1, steps: 6, loss: 0.73, images_per_s: 0.19, eta_s: 1690 })).toBe(
      'epoch 1/1  step 1/6  loss 0.730  0.2 img/s  eta 28m10s',
    );
  });
});
