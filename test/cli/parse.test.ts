import { describe, expect, it } from 'vitest';
import { formatDuration, looksLikeDate, parseConf, parseDate } from '../../src/cli/parse.js';
import { formatError } from '../../src/cli/errors.js';

describe('parseDate', () => {
  it('reads dates and zone-less times as UTC', () => {
    expect(parseDate('2026-01-02').toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(parseDate('2026-01-02T06:30').toISOString()).toBe('2026-01-02T06:30:00.000Z');
    expect(parseDate('2026-01-02 06:30:00').toISOString()).toBe('2026-01-02T06:30:00.000Z');
    expect(parseDate('2026-01-02T06:30:00+02:00').toISOString()).toBe('2026-01-02T04:30:00.000Z');
  });

  it('rejects garbage with a hint showing the accepted format', () => {
    expect(() => parseDate('yesterday', 'logical date')).toThrow('invalid logical date "yesterday"');
    expect(() => parseDate('2026-13-45')).toThrow(/invalid date/);
    try {
      parseDate('01/02/2026');
    } catch (e) {
      expect(formatError(e, false)).toBe(
        'error: invalid date "01/02/2026"\nhint: use ISO 8601, e.g. 2026-01-01 or 2026-01-01T06:00:00Z (UTC when no zone is given)',
      );
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
  });

  it('tells dates from run ids', () => {
    expect(looksLikeDate('2026-01-01')).toBe(true);
    expect(looksLikeDate('2026-01-01T00:00:00+00:00')).toBe(true);
    expect(looksLikeDate('manual__2026-01-01T00:00:00+00:00')).toBe(false);
  });
});

describe('parseConf', () => {
  it('accepts a JSON object', () => {
    expect(parseConf('{"n": 3, "tags": ["a"]}')).toEqual({ n: 3, tags: ['a'] });
    expect(parseConf(undefined)).toBeUndefined();
  });
  it('rejects bad JSON and non-objects in one line naming the fix', () => {
    expect(() => parseConf('{n: 3}')).toThrow(/--conf is not valid JSON/);
    expect(() => parseConf('[1, 2]')).toThrow('--conf must be a JSON object');
    try {
      parseConf('nope');
    } catch (e) {
      expect(formatError(e, false).split('\n')[1]).toBe(`hint: pass a JSON object, e.g. -c '{"key": "value"}'`);
    }
  });
});

describe('formatDuration', () => {
  it('reads well at every scale', () => {
    expect(formatDuration(0.4213)).toBe('0.42s');
    expect(formatDuration(12.34)).toBe('12.3s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(null)).toBe('-');
  });
});
