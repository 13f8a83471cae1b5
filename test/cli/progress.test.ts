import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/service.js';
import { createProgress, summaryRows } from '../../src/cli/progress.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(t0 + ms);
const task = (taskId: string, state: string | null, tryNumber: number, ms: number): RunEvent =>
  ({ type: 'task', dagId: 'd', runId: 'manual__x', taskId, state, tryNumber, at: at(ms) }) as RunEvent;
const run = (state: string, ms: number): RunEvent => ({ type: 'run', dagId: 'd', runId: 'manual__x', state, at: at(ms) }) as RunEvent;

function capture(): { out: string[]; write: (t: string) => void } {
  const out: string[] = [];
  return { out, write: (t) => out.push(t) };
}

describe('live progress on a pipe', () => {
  it('prints one line per state change with the transition, try and time since the first event', () => {
    const sink = capture();
    const p = createProgress({ write: sink.write, interactive: false, taskIds: ['a', 'bb'] });
    p.onEvent(run('running', 0));
    p.onEvent(task('a', 'queued', 1, 5));
    p.onEvent(task('a', 'running', 1, 10));
    p.onEvent(task('a', 'success', 1, 1260));
    p.onEvent(run('success', 1300));
    p.finish();
    expect(sink.out).toEqual([
      '  +0.000s  run manual__x: queued -> running\n',
      '  +0.005s  a         none -> queued  try 1\n',
      '  +0.010s  a         queued -> running  try 1\n',
      '  +1.260s  a         running -> success  try 1  (1.25s)\n',
      '  +1.300s  run manual__x: running -> success\n',
    ]);
  });

  it('skips repeated events that change nothing', () => {
    const sink = capture();
    const p = createProgress({ write: sink.write, interactive: false });
    p.onEvent(task('a', 'running', 1, 0));
    p.onEvent(task('a', 'running', 1, 1));
    p.onEvent(task('a', 'up_for_retry', 1, 2));
    p.onEvent(task('a', 'running', 2, 3));
    expect(sink.out).toHaveLength(3);
    expect(sink.out[2]).toContain('up_for_retry -> running  try 2');
  });

  it('prefixes lines with the run id when following several runs', () => {
    const sink = capture();
    const p = createProgress({ write: sink.write, interactive: true, prefixRun: true });
    p.onEvent(task('a', 'running', 1, 0));
    expect(sink.out[0]).toContain('manual__x  a  none -> running');
    expect(sink.out[0]).not.toContain('\x1b[');
  });
});

describe('live progress on a terminal', () => {
  it('redraws the task table in place and ends with a frame showing the final states', () => {
    const sink = capture();
    const p = createProgress({ write: sink.write, interactive: true, taskIds: ['a', 'b'], redrawMs: 0 });
    p.onEvent(task('a', 'running', 1, 0));
    p.onEvent(task('a', 'success', 1, 100));
    p.onEvent(task('b', 'failed', 1, 200));
    p.finish();
    const frames = sink.out;
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0]).not.toMatch(/^\x1b\[/);
    const last = frames.at(-1) ?? '';
    expect(last).toMatch(/^\x1b\[\d+F\x1b\[0J/); // cursor up over the previous frame, clear
    expect(last).toContain('2/2 done');
    expect(last).toMatch(/│ a\s+│ success\s+│ 1\s+│ 0\.10s/);
    expect(last).toMatch(/│ b\s+│ failed/);
  });

  it('caps the table height and shows the moving tasks first', () => {
    const sink = capture();
    const ids = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const p = createProgress({ write: sink.write, interactive: true, taskIds: ids, maxRows: 5, redrawMs: 0 });
    p.onEvent(task('t42', 'running', 1, 0));
    p.finish();
    const last = sink.out.at(-1) ?? '';
    expect(last).toContain('(45 more not shown)');
    expect(last.split('\n').findIndex((l) => l.includes('t42'))).toBe(4); // first body row
  });
});

describe('summary rows', () => {
  it('formats durations and shows none as None', () => {
    const rows = summaryRows([
      { task_id: 'a', state: 'success', try_number: 2, duration: 1.234 } as never,
      { task_id: 'b', state: null, try_number: 0, duration: null } as never,
    ]);
    expect(rows.map((r) => [r.task_id, r.state, r.try_number, r.duration])).toEqual([
      ['a', 'success', 2, '1.23s'],
      ['b', 'None', 0, '-'],
    ]);
  });
});

describe('after finish', () => {
  it('never redraws over what is printed below the final frame', () => {
    const sink = capture();
    const p = createProgress({ write: sink.write, interactive: true, taskIds: ['a'], redrawMs: 0 });
    p.onEvent(task('a', 'success', 1, 0));
    p.finish();
    const frames = sink.out.length;
    p.onEvent(run('success', 10));
    p.finish();
    expect(sink.out).toHaveLength(frames);
  });
});
