// Interval math mirroring airflow/tests/timetables/test_interval_timetable.py (CronDataIntervalTimetable).
import { describe, expect, it } from 'vitest';
import { DagDefinitionError } from '../../src/engine/errors.js';
import { intervalsBetween, manualDataInterval, nextDagRunInfo, nextExecutions, parseSchedule, type ScheduleInput } from '../../src/engine/schedule.js';
import { runIdFor } from '../../src/engine/dagrun.js';

const D = (s: string): Date => new Date(s);
const daily = (o: Partial<ScheduleInput> = {}): ScheduleInput => ({
  schedule: parseSchedule('@daily'), startDate: D('2026-01-01T00:00:00Z'), endDate: undefined, catchup: true, ...o,
});

describe('schedule', () => {
  it('gives the @daily run for day D the interval [D, D+1), created after D+1', () => {
    const info = nextDagRunInfo(daily(), undefined, D('2026-01-05T12:00:00Z'))!;
    expect(info.logicalDate.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(info.start.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(info.end.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(info.runAfter.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
  it('continues from the last automated run with catchup', () => {
    const info = nextDagRunInfo(daily(), D('2026-01-01T00:00:00Z'), D('2026-01-05T12:00:00Z'))!;
    expect(info.logicalDate.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
  it('skips to the latest complete interval without catchup', () => {
    const info = nextDagRunInfo(daily({ catchup: false }), undefined, D('2026-01-05T12:00:00Z'))!;
    expect(info.logicalDate.toISOString()).toBe('2026-01-04T00:00:00.000Z');
    expect(info.end.toISOString()).toBe('2026-01-05T00:00:00.000Z');
    // on a boundary exactly: the interval that just ended
    expect(nextDagRunInfo(daily({ catchup: false }), undefined, D('2026-01-05T00:00:00Z'))!.logicalDate.toISOString()).toBe('2026-01-04T00:00:00.000Z');
  });
  it('aligns a start date that is not on a boundary to the next one', () => {
    const info = nextDagRunInfo(daily({ startDate: D('2026-01-01T10:00:00Z') }), undefined, D('2026-01-09T00:00:00Z'))!;
    expect(info.logicalDate.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
  it('creates nothing after the end date', () => {
    expect(nextDagRunInfo(daily({ endDate: D('2026-01-02T00:00:00Z') }), D('2026-01-02T00:00:00Z'), D('2026-02-01T00:00:00Z'))).toBeUndefined();
  });
  it('runs @once once at its start date, and None never', () => {
    const once = { ...daily(), schedule: parseSchedule('@once') };
    expect(nextDagRunInfo(once, undefined, D('2026-03-01T00:00:00Z'))!.logicalDate.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(nextDagRunInfo(once, D('2026-01-01T00:00:00Z'), D('2026-03-01T00:00:00Z'))).toBeUndefined();
    expect(nextDagRunInfo({ ...daily(), schedule: parseSchedule(null) }, undefined, D('2026-03-01T00:00:00Z'))).toBeUndefined();
  });
  it('knows the presets and plain cron', () => {
    expect(parseSchedule('@hourly')).toEqual({ kind: 'cron', expr: '0 * * * *' });
    expect(parseSchedule('@weekly')).toEqual({ kind: 'cron', expr: '0 0 * * 0' });
    expect(parseSchedule('@monthly')).toEqual({ kind: 'cron', expr: '0 0 1 * *' });
    expect(parseSchedule('@quarterly')).toEqual({ kind: 'cron', expr: '0 0 1 */3 *' });
    expect(parseSchedule('@yearly')).toEqual({ kind: 'cron', expr: '0 0 1 1 *' });
    const info = nextDagRunInfo({ ...daily(), schedule: parseSchedule('30 2 * * *') }, undefined, D('2026-01-09T00:00:00Z'))!;
    expect(info.start.toISOString()).toBe('2026-01-01T02:30:00.000Z');
    expect(info.end.toISOString()).toBe('2026-01-02T02:30:00.000Z');
  });
  it('rejects a bad cron with a message naming the field', () => {
    expect(() => parseSchedule('every day', "DAG 'x': schedule")).toThrow(DagDefinitionError);
    expect(() => parseSchedule('61 * * * *', "DAG 'x': schedule")).toThrow(/DAG 'x': schedule: '61 \* \* \* \*' is not a cron expression/);
  });
  it('lists catch-up intervals for backfill and the next executions', () => {
    const ds = intervalsBetween(daily(), D('2026-01-03T00:00:00Z'), D('2026-01-05T00:00:00Z')).map((d) => d.toISOString().slice(0, 10));
    expect(ds).toEqual(['2026-01-03', '2026-01-04', '2026-01-05']);
    const next = nextExecutions(daily(), D('2026-01-01T00:00:00Z'), D('2026-01-01T05:00:00Z'), 3).map((d) => d.toISOString().slice(0, 10));
    expect(next).toEqual(['2026-01-02', '2026-01-03', '2026-01-04']);
  });
  it('infers a manual run interval as Airflow does (the last complete interval before the logical date)', () => {
    const iv = manualDataInterval(parseSchedule('@daily'), D('2026-01-05T12:00:00Z'));
    expect([iv.start.toISOString(), iv.end.toISOString()]).toEqual(['2026-01-04T00:00:00.000Z', '2026-01-05T00:00:00.000Z']);
  });
  it('formats run ids as Airflow', () => {
    expect(runIdFor('scheduled', D('2016-01-01T00:00:00Z'))).toBe('scheduled__2016-01-01T00:00:00+00:00');
    expect(runIdFor('manual', D('2016-01-01T00:00:00.123Z'))).toBe('manual__2016-01-01T00:00:00.123000+00:00');
  });
});
