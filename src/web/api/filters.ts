/** Airflow's date-range filters (`*_gte` / `*_lte`, inclusive) as query-string schemas and one predicate. */
const dateTime = { type: 'string', format: 'date-time' } as const;

export const RUN_DATE_FILTERS = ['execution_date', 'start_date', 'end_date', 'updated_at'] as const;
export type RunDateFilter = (typeof RUN_DATE_FILTERS)[number];

/** `{ execution_date_gte: {…}, execution_date_lte: {…}, … }` for the given fields. */
export function rangeSchema(fields: readonly string[]): Record<string, typeof dateTime> {
  return Object.fromEntries(fields.flatMap((f) => [[`${f}_gte`, dateTime], [`${f}_lte`, dateTime]]));
}

/** A query or body holding some `<field>_gte` / `<field>_lte` dates (validated as date-time by the schema). */
export type Ranges = object;

/** `field`'s bounds in `q` as ISO-8601 UTC strings (how the store keeps dates), or undefined when it has none. */
export function bounds(q: Ranges, field: string): { gte?: string; lte?: string } | undefined {
  const get = (k: string): string | undefined => {
    const v = (q as Record<string, unknown>)[k];
    return typeof v === 'string' ? new Date(v).toISOString() : undefined;
  };
  const gte = get(`${field}_gte`);
  const lte = get(`${field}_lte`);
  if (gte === undefined && lte === undefined) return undefined;
  return { ...(gte !== undefined ? { gte } : {}), ...(lte !== undefined ? { lte } : {}) };
}

/** Is `value` (an ISO date or null) within `field`'s bounds in `q`? A null value is outside any bound. */
export function inRange(q: Ranges, field: string, value: string | null): boolean {
  const get = (k: string): unknown => (q as Record<string, unknown>)[k];
  const bound = (k: string): string | undefined => { const v = get(k); return typeof v === 'string' ? v : undefined; };
  const gte = bound(`${field}_gte`);
  const lte = bound(`${field}_lte`);
  if (gte === undefined && lte === undefined) return true;
  if (value === null) return false;
  const t = Date.parse(value);
  return (gte === undefined || t >= Date.parse(gte)) && (lte === undefined || t <= Date.parse(lte));
}
