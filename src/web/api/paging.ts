/**
 * Airflow's pagination: `limit` (default 100, at most 100: maximum_page_limit), `offset`, and `order_by`
 * naming one field, `-` in front for descending; `total_entries` counts before limit and offset.
 */
import { badRequest } from './problem.js';

export const PAGE_LIMIT_MAX = 100;

export interface PageQuery {
  limit?: number;
  offset?: number;
  order_by?: string;
}

/** Query-string schema properties every listing accepts. */
export const pageQuerySchema = {
  limit: { type: 'integer', default: 100, minimum: 1 },
  offset: { type: 'integer', minimum: 0 },
  order_by: { type: 'string' },
} as const;

type Sortable = string | number | boolean | null;

/** Sorts by `order_by` (one of `allowed`, else 400 as Airflow says); ties keep their order. */
export function sortBy<T>(rows: readonly T[], orderBy: string | undefined, allowed: Record<string, (row: T) => Sortable>, defaultOrder: string): T[] {
  const spec = orderBy ?? defaultOrder;
  const desc = spec.startsWith('-');
  const field = desc ? spec.slice(1) : spec;
  const key = allowed[field];
  if (!key) throw badRequest(`Ordering with '${field}' is disallowed or the attribute does not exist on the model`);
  return rows
    .map((row, i) => ({ row, k: key(row), i }))
    .sort((a, b) => {
      // Nulls last ascending and first descending, as PostgreSQL sorts them for Airflow.
      const c = a.k === b.k ? 0 : a.k === null ? 1 : b.k === null ? -1 : a.k < b.k ? -1 : 1;
      return (desc ? -c : c) || a.i - b.i;
    })
    .map((s) => s.row);
}

/** One page of the rows sorted by `order_by`, and how many there are in all. */
export function page<T>(rows: readonly T[], q: PageQuery, allowed: Record<string, (row: T) => Sortable>, defaultOrder: string): { items: T[]; total: number } {
  const offset = q.offset ?? 0;
  const limit = Math.min(q.limit ?? PAGE_LIMIT_MAX, PAGE_LIMIT_MAX);
  return { items: sortBy(rows, q.order_by, allowed, defaultOrder).slice(offset, offset + limit), total: rows.length };
}
