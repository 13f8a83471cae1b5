/** A thin wrapper over a better-sqlite3 handle: cached prepared statements and transactions. */
import type Database from 'better-sqlite3';
import type { Json } from '../json.js';
import type { RunKey } from './rows.js';

export class Sql {
  readonly #cache = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  stmt(sql: string): Database.Statement {
    let s = this.#cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }
  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }
  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }
  run(sql: string, ...params: unknown[]): number {
    return this.stmt(sql).run(...params).changes;
  }
  /** Runs fn in a savepoint of the transaction in progress: if fn throws, only its own changes are undone. */
  savepoint<T>(fn: () => T): T {
    if (!this.db.inTransaction) return this.tx(fn);
    return this.db.transaction(fn)(); // nested: better-sqlite3 uses SAVEPOINT / ROLLBACK TO
  }
  /** Runs fn in one IMMEDIATE transaction (takes the write lock up front, so no upgrade deadlocks). */
  tx<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).immediate();
  }
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
    if (scope.runs.length === 0) return '0';
    return `(${scope.runs.map(() => '(ti.dag_id = ? AND ti.run_id = ?)').join(' OR ')})`;
  }
  return scope.excludeBackfill
    ? "EXISTS (SELECT 1 FROM dag_run r WHERE r.dag_id = ti.dag_id AND r.run_id = ti.run_id AND r.run_type != 'backfill' AND r.state = 'running')"
    : "EXISTS (SELECT 1 FROM dag_run r WHERE r.dag_id = ti.dag_id AND r.run_id = ti.run_id AND r.state = 'running')";
}
export function scopeParams(scope: Scope): string[] {
  return scope.runs ? scope.runs.flatMap((r) => [r.dagId, r.runId]) : [];
}
