/** Sql over a better-sqlite3 handle: cached prepared statements and IMMEDIATE transactions. */
import type Database from 'better-sqlite3';
import type { Sql } from './sql.js';

export class SqliteSql implements Sql {
  readonly dialect = 'sqlite';
  readonly #cache = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  /**
   * better-sqlite3's db.transaction(fn) builds four wrapper functions and defines their properties on every
   * call: 11 % of a worker's attempt transaction (perf). The same protocol over statements prepared once.
   */
  #run<T>(fn: () => T, before: string, after: string, undo: string): T {
    this.#stmt(before).run();
    try {
      const result = fn();
      this.#stmt(after).run();
      return result;
    } catch (e) {
      // SQLite may have rolled back already (a failed COMMIT); a savepoint is released after rolling back to it.
      if (this.db.inTransaction) {
        this.#stmt(undo).run();
        if (undo !== 'ROLLBACK') this.#stmt(after).run();
      }
      throw e;
    }
  }

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
    return this.#run(fn, 'SAVEPOINT nested', 'RELEASE nested', 'ROLLBACK TO nested');
  }
  /** IMMEDIATE: takes the write lock up front, so no upgrade deadlocks. */
  tx<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.#run(fn, 'BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK');
  }
  exec(sql: string): void {
    this.db.exec(sql);
  }
  close(): void {
    this.db.close();
  }
}
