/**
 * Schedules -> data intervals, Airflow 2's CronDataIntervalTimetable (pure; cron math by cron-parser).
 * A run covers [start, end) and is created once `end` has passed: the @daily run for day D has
 * logical_date = D, data interval [D, D+1) and runs after D+1 00:00. `@once` runs once at startDate.
 */
import { CronExpressionParser } from 'cron-parser';
import { DagDefinitionError } from './errors.js';

export const SCHEDULE_PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

export type Schedule = { kind: 'none' } | { kind: 'once' } | { kind: 'cron'; expr: string };

export interface DataInterval {
  logicalDate: Date;
  start: Date;
  end: Date;
  /** The earliest time the run may be created (Airflow's run_after / next_dagrun_create_after). */
  runAfter: Date;
}

export interface ScheduleInput {
  schedule: Schedule;
  startDate: Date | undefined;
  endDate: Date | undefined;
  catchup: boolean;
}

/** Parses a DAG's `schedule` option; errors name the field and say what is accepted. */
export function parseSchedule(value: string | null | undefined, where = 'schedule'): Schedule {
  if (value === null || value === undefined || value === 'None') return { kind: 'none' };
  const v = value.trim();
  if (v === '@once') return { kind: 'once' };
  const expr = SCHEDULE_PRESETS[v] ?? v;
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' });
  } catch (cause) {
    throw new DagDefinitionError(`${where}: '${value}' is not a cron expression or preset (${(cause as Error).message})`, {
      hint: `use null, @once, ${Object.keys(SCHEDULE_PRESETS).join(', ')}, or 5-field cron such as '30 2 * * *'`,
      cause,
    });
  }
  if (expr.startsWith('@')) throw new DagDefinitionError(`${where}: unsupported preset '${value}'`);
  return { kind: 'cron', expr };
}

/** The schedule as the API's schedule_interval shows it (the preset or cron string as written). */
export function describeSchedule(s: Schedule): string | null {
  switch (s.kind) {
    case 'none':
      return null;
    case 'once':
      return '@once';
    case 'cron':
      return s.expr;
    default: {
      const never: never = s;
      return never;
    }
  }
}

/** First boundary strictly after `d`. */
function cronNext(expr: string, d: Date): Date {
  return CronExpressionParser.parse(expr, { currentDate: d, tz: 'UTC' }).next().toDate();
}
/** Last boundary strictly before `d`. */
function cronPrev(expr: string, d: Date): Date {
  return CronExpressionParser.parse(expr, { currentDate: d, tz: 'UTC' }).prev().toDate();
}
function isBoundary(expr: string, d: Date): boolean {
  return cronNext(expr, new Date(d.getTime() - 1)).getTime() === d.getTime();
}
/** `d` if it is on a boundary, else the next boundary. */
export function alignToNext(expr: string, d: Date): Date {
  return isBoundary(expr, d) ? d : cronNext(expr, d);
}
/** `d` if it is on a boundary, else the previous boundary. */
export function alignToPrev(expr: string, d: Date): Date {
  return isBoundary(expr, d) ? d : cronPrev(expr, d);
}

/**
 * The next scheduled run after the last automated one (Airflow's next_dagrun_info).
 * `last` is the data interval start of the latest scheduled run, or undefined if there is none.
 * With catchup false, intervals before the latest complete one are skipped.
 */
export function nextDagRunInfo(input: ScheduleInput, last: Date | undefined, now: Date): DataInterval | undefined {
  const { schedule, startDate, endDate } = input;
  if (schedule.kind === 'none' || startDate === undefined) return undefined;
  if (schedule.kind === 'once') {
    if (last !== undefined) return undefined;
    return { logicalDate: startDate, start: startDate, end: startDate, runAfter: startDate };
  }
  const expr = schedule.expr;
  let start: Date;
  if (last === undefined) start = alignToNext(expr, startDate);
  else start = cronNext(expr, last);
  if (!input.catchup) {
    // The latest complete interval ends at the last boundary <= now.
    const latestEnd = alignToPrev(expr, now);
    const latestStart = cronPrev(expr, latestEnd);
    const earliest = alignToNext(expr, startDate);
    const skipTo = latestStart < earliest ? earliest : latestStart;
    if (skipTo > start) start = skipTo;
  }
  if (endDate !== undefined && start > endDate) return undefined;
  const end = cronNext(expr, start);
  return { logicalDate: start, start, end, runAfter: end };
}

/** The data interval of a manually triggered run with this logical date (infer_manual_data_interval). */
export function manualDataInterval(schedule: Schedule, logicalDate: Date): { start: Date; end: Date } {
  if (schedule.kind !== 'cron') return { start: logicalDate, end: logicalDate };
  const end = alignToPrev(schedule.expr, logicalDate);
  return { start: cronPrev(schedule.expr, end), end };
}

/** The data interval for a run whose logical date is on a schedule boundary (backfill). */
export function intervalAt(schedule: Schedule, logicalDate: Date): { start: Date; end: Date } {
  if (schedule.kind !== 'cron') return { start: logicalDate, end: logicalDate };
  return { start: logicalDate, end: cronNext(schedule.expr, logicalDate) };
}

/** Logical dates of every interval starting within [from, to] (both inclusive), for backfill. */
export function intervalsBetween(input: ScheduleInput, from: Date, to: Date, limit = 100_000): Date[] {
  const { schedule } = input;
  if (schedule.kind !== 'cron') {
    // Airflow backfills a non-cron DAG with one run at `from`.
    return from <= to ? [from] : [];
  }
  const out: Date[] = [];
  let d = alignToNext(schedule.expr, from);
  while (d <= to && out.length < limit) {
    if (input.endDate !== undefined && d > input.endDate) break;
    if (input.startDate === undefined || d >= input.startDate) out.push(d);
    d = cronNext(schedule.expr, d);
  }
  return out;
}

/** The next `n` logical dates the scheduler will create, starting after the last automated run. */
export function nextExecutions(input: ScheduleInput, last: Date | undefined, now: Date, n: number): Date[] {
  const out: Date[] = [];
  let info = nextDagRunInfo(input, last, now);
  while (info && out.length < n) {
    out.push(info.logicalDate);
    if (input.schedule.kind === 'once') break;
    info = nextDagRunInfo({ ...input, catchup: true }, info.start, now);
  }
  return out;
}
