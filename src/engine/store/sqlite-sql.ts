/** Sql over a better-sqlite3 handle: cached prepared statements and IMMEDIATE transactions. */
import type Database from 'better-sqlite3';
import type { Sql } from './sql.js';

export class SqliteSql implements Sql {
  readonly dialect = 'sqlite';
  readonly #cache = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  #stmt(sql: string): Database.Statement {
    let s = this.#cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }
  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.#stmt(sql).all(...params) as T[];
  }
  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.#stmt(sql).get(...params) as T | undefined;
  }
  run(sql: string, ...params: unknown[]): number {
    return this.#stmt(sql).run(...params).changes;
  }
  savepoint<T>(fn: () => T): T {
    if (!this.db.inTransaction) return this.tx(fn);
    return this.db.transaction(fn)(); // nested: better-sqlite3 uses SAVEPOINT / ROLLBACK TO
  }
  /** IMMEDIATE: takes the write lock up front, so no upgrade deadlocks. */
  tx<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).immediate();
  }
  exec(sql: string): void {
    this.db.exec(sql);
  }
  close(): void {
    this.db.close();
  }
}
