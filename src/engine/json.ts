import { XComSerializationError } from './errors.js';

/** A plain JSON value: what XCom, conf and params hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * Checks that `value` survives a JSON round trip unchanged in meaning (no functions, Dates, Maps,
 * class instances, NaN, undefined inside arrays, cycles) and returns it; otherwise a clear error naming `what`.
 */
export function assertJson(value: unknown, what: string): Json {
  const problem = findNonJson(value, what, new Set());
  if (problem) throw new XComSerializationError(problem);
  return value as Json;
}

function findNonJson(v: unknown, path: string, seen: Set<object>): string | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} (${v})`;
  if (typeof v !== 'object') return `${path} (a ${typeof v})`;
  if (seen.has(v)) return `${path} (a circular reference)`;
  seen.add(v);
  try {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = findNonJson(v[i], `${path}[${i}]`, seen);
        if (p) return p;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      return `${path} (a ${(v as object).constructor?.name ?? 'class'} instance)`;
    }
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue; // JSON.stringify drops undefined properties, as JSON does
      const p = findNonJson(x, `${path}.${k}`, seen);
      if (p) return p;
    }
    return undefined;
  } finally {
    seen.delete(v);
  }
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
