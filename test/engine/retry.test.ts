import { describe, expect, it } from 'vitest';
import { DagDefinitionError } from '../../src/engine/errors.js';
import { MAX_RETRY_DELAY_S, nextRetryAt, retryDelaySeconds, shouldRetry, validateRetryPolicy } from '../../src/engine/retry.js';

const ti = { dagId: 'dag', taskId: 'task', logicalDate: new Date('2026-01-01T00:00:00Z') };
const policy = { retries: 5, retryDelay: 10, retryExponentialBackoff: true, maxRetryDelay: undefined };

describe('retry policy (Airflow next_retry_datetime)', () => {
  it('waits retryDelay without backoff', () => {
    expect(retryDelaySeconds({ ...policy, retryExponentialBackoff: false }, { ...ti, tryNumber: 3 })).toBe(10);
  });
  it('backs off exponentially with deterministic sha1 jitter in [min, 2*min)', () => {
    for (const tryNumber of [1, 2, 3, 4]) {
      const min = 10 * 2 ** (tryNumber - 1);
      const d = retryDelaySeconds(policy, { ...ti, tryNumber });
      expect(d).toBeGreaterThanOrEqual(min);
      expect(d).toBeLessThan(2 * min);
      expect(retryDelaySeconds(policy, { ...ti, tryNumber })).toBe(d); // same inputs, same delay
    }
  });
  it('matches Airflow for known inputs', () => {
    // python: m = ceil(10 * 2**(n-1)); m + int(hashlib.sha1(b"dag#task#2026-01-01T00:00:00+00:00#n").hexdigest(), 16) % m
    expect(retryDelaySeconds(policy, { ...ti, tryNumber: 2 })).toBe(30);
    expect(retryDelaySeconds(policy, { ...ti, tryNumber: 3 })).toBe(42);
  });
  it('caps at maxRetryDelay and at 24 h', () => {
    expect(retryDelaySeconds({ ...policy, maxRetryDelay: 15 }, { ...ti, tryNumber: 5 })).toBe(15);
    expect(retryDelaySeconds(policy, { ...ti, tryNumber: 60 })).toBe(MAX_RETRY_DELAY_S);
    expect(retryDelaySeconds({ ...policy, retryDelay: 0 }, { ...ti, tryNumber: 1 })).toBe(1); // min backoff of 1 s
  });
  it('computes the retry time from the end of the failed try', () => {
    const at = nextRetryAt({ ...policy, retryExponentialBackoff: false }, { ...ti, tryNumber: 1, endDate: new Date('2026-01-02T00:00:00Z') });
    expect(at.toISOString()).toBe('2026-01-02T00:00:10.000Z');
  });
  it('retries while try_number <= max_tries, never for NonRetryableError', () => {
    expect(shouldRetry(1, 1, false)).toBe(true);
    expect(shouldRetry(2, 1, false)).toBe(false);
    expect(shouldRetry(1, 3, true)).toBe(false);
  });
  it('validates the fields by name', () => {
    expect(() => validateRetryPolicy({ ...policy, retries: -1 }, "task 'x'")).toThrow(DagDefinitionError);
    expect(() => validateRetryPolicy({ ...policy, retryDelay: Number.NaN }, "task 'x'")).toThrow(/task 'x': retryDelay/);
  });
});

