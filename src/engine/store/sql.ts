/**
 * One connection's worth of SQL, as the store's operations use it: all/get/run with `?` or `@name` parameters,
 * and transactions. Two implementations: SQLite (./sqlite-sql.ts, better-sqlite3) and PostgreSQL
 * (./postgres-sql.ts, libpq's synchronous calls). Both are synchronous, so one set of store operations serves
 * both databases and SQLite keeps its speed; the few dialect differences are translated by the PostgreSQL one.
 */
import type { Json } from '../json.js';
import type { RunKey } from './rows.js';

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  all<T>(sql: string, ...params: unknown[]): T[];
  get<T>(sql: string, ...params: unknown[]): T | undefined;
  /** Returns the number of rows changed. */
  run(sql: string, ...params: unknown[]): number;
  /** Runs fn in one transaction that writes from its start (SQLite: IMMEDIATE); nested calls join the outer one. */
  tx<T>(fn: () => T): T;
  /** Runs fn in a savepoint of the transaction in progress: if fn throws, only its own changes are undone. */
  savepoint<T>(fn: () => T): T;
  /** Runs SQL text as it is (several statements, no parameters): migrations. */
  exec(sql: string): void;
  close(): void;
}

/** Rows one statement changes at most. */
const CHUNK = 256;

/** Task instances that hold a slot (parallelism, pools, max_active_tasks): handed to an executor and not over. */
export const IN_FLIGHT = "state IN ('queued', 'running', 'restarting')";

/** Items in chunks of up to CHUNK, for statements that change many rows. */
export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
/** A chunk padded to a power of two by repeating its last item (an IN list allows repeats): few statement texts to prepare. */
export function padded<T>(chunk: readonly T[]): T[] {
  const size = 2 ** Math.ceil(Math.log2(chunk.length));
  return Array.from({ length: size }, (_, j) => chunk[Math.min(j, chunk.length - 1)]!);
}
/** Items in chunks whose sizes are powers of two up to CHUNK (300 = 256 + 32 + 8 + 4), for multi-row INSERTs, which cannot repeat a row. */
export function powerOfTwoChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; ) {
    const size = Math.min(CHUNK, 2 ** Math.floor(Math.log2(items.length - i)));
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

/** Task instances added at once from which PostgreSQL's statistics are refreshed at once (see refreshPlannerStats). */
const LARGE_INSERT = 1000;

/**
 * After adding many task instances (a large run, a wide expansion): on PostgreSQL, ANALYZE task_instance in the
 * same transaction. With the statistics of a small table the planner looks up one task instance through
 * ti_run_state and filters every row of its run (3–80 ms each in a 10,000-task run, measured); autovacuum
 * would catch up only a minute later. SQLite plans by fixed rules (and INDEXED BY hints).
 */
export function refreshPlannerStats(sql: Sql, added: number): void {
  if (sql.dialect === 'postgres' && added >= LARGE_INSERT) sql.exec('ANALYZE task_instance');
}

export function parseJson(text: string | null | undefined, fallback: Json): Json {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return fallback;
  }
}

export type Scope = { runs?: readonly RunKey[]; excludeBackfill: boolean };

/** SQL fragment restricting TIs aliased `ti` to a scope; pair it with scopeParams. */
export function scopeWhere(scope: Scope): string {
  if (scope.runs) {
    if (scope.runs.length === 0) return '1 = 0';
    return `(${scope.runs.map(() => '(ti.dag_id = ? AND ti.run_id = ?)').join(' OR ')})`;
  }
  return scope.excludeBackfill
    ? "EXISTS (SELECT 1 FROM dag_run r WHERE r.dag_id = ti.dag_id AND r.run_id = ti.run_id AND r.run_type != 'backfill' AND r.state = 'running')"
    : "EXISTS (SELECT 1 FROM dag_run r WHERE r.dag_id = ti.dag_id AND r.run_id = ti.run_id AND r.state = 'running')";
}
export function scopeParams(scope: Scope): string[] {
  return scope.runs ? scope.runs.flatMap((r) => [r.dagId, r.runId]) : [];
}
