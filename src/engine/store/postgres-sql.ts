/**
 * Sql over one PostgreSQL connection, through libpq's synchronous calls (pg-native, node-postgres's libpq
 * binding): the store's operations stay the same synchronous code for both databases, and a query costs one
 * round trip (≈ 60 µs on 127.0.0.1) during which this process waits, as it waits for SQLite's disk.
 * Statements are prepared once per connection. The SQLite spellings the operations use are translated here:
 * `?` and `@name` parameters become `$n`, `IS @x` becomes `IS NOT DISTINCT FROM $n`, `INDEXED BY` hints go.
 */
import { createRequire } from 'node:module';
import { StoreUnavailableError } from '../errors.js';
import type { Sql } from './sql.js';

interface PgNativeClient {
  connectSync(url: string): void;
  querySync(text: string, values?: unknown[]): Array<Record<string, unknown>>;
  prepareSync(name: string, text: string, nParams: number): void;
  executeSync(name: string, values: unknown[]): Array<Record<string, unknown>>;
  end(cb?: () => void): void;
  pq: { cmdTuples(): string; resultErrorFields(): Record<string, string> | undefined; finish(): void };
}
type PgNativeCtor = new (o?: { types?: unknown }) => PgNativeClient;

/** SQLSTATEs after which the whole transaction can simply be run again (deadlock, serialization failure). */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TX_ATTEMPTS = 5;

const closing = new Set<PgNativeClient>();

interface Prepared {
  name: string;
  /** For each $n, where its value comes from: a position in the arguments or a named parameter. */
  params: Array<number | string>;
}

/** An error from PostgreSQL with its SQLSTATE (23505: unique violation, 40P01: deadlock…). */
export class PgError extends Error {
  constructor(message: string, readonly sqlState: string | undefined) {
    super(message);
    this.name = 'PgError';
  }
}

/** Rewrites SQLite-style parameters to $n, outside string literals. */
export function translate(sqliteText: string): { text: string; params: Array<number | string> } {
  const sql = sqliteText.replace(/\s+INDEXED BY \w+/g, ''); // SQLite's planner hints; PostgreSQL plans by itself
  const params: Array<number | string> = [];
  const named = new Map<string, number>();
  let positional = 0;
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'") {
      const end = sql.indexOf("'", i + 1);
      out += sql.slice(i, end + 1);
      i = end;
      continue;
    }
    let ref: string | undefined;
    if (c === '?') {
      params.push(positional++);
      ref = `$${params.length}`;
    } else if (c === '@') {
      const name = /^@(\w+)/.exec(sql.slice(i))![1]!;
      let n = named.get(name);
      if (n === undefined) {
        params.push(name);
        n = params.length;
        named.set(name, n);
      }
      ref = `$${n}`;
      i += name.length;
    }
    if (ref === undefined) {
      out += c;
      continue;
    }
    // SQLite's `x IS value` is null-safe equality; PostgreSQL spells it IS NOT DISTINCT FROM.
    out = /\bIS\s+$/i.test(out) && !/\bIS\s+NOT\s+DISTINCT\s+FROM\s+$/i.test(out) ? out.replace(/\bIS\s+$/i, 'IS NOT DISTINCT FROM ') + ref : out + ref;
  }
  return { text: out, params };
}

export class PostgresSql implements Sql {
  readonly dialect = 'postgres';
  readonly #client: PgNativeClient;
  readonly #prepared = new Map<string, Prepared>();
  #depth = 0;

  constructor(readonly url: string) {
    const require = createRequire(import.meta.url);
    let Client: PgNativeCtor;
    let types: { getTypeParser: (oid: number, format?: string) => (v: string) => unknown } ;
    try {
      Client = require('pg-native') as PgNativeCtor;
      types = require('pg-types') as typeof types;
    } catch (e) {
      throw new StoreUnavailableError(url, `the PostgreSQL driver (pg-native) is not installed: ${(e as Error).message}`, 'run ./scripts/setup.sh (it installs libpq-dev and builds pg-native), or unset DAGCTL_DATABASE_URL to use SQLite');
    }
    // Counts and sums come back as int8/numeric; our numbers fit in a double.
    const parsers: Record<number, (v: string) => unknown> = { 20: Number, 1700: Number };
    this.#client = new Client({ types: { getTypeParser: (oid: number, format?: string) => parsers[oid] ?? types.getTypeParser(oid, format) } });
    try {
      this.#client.connectSync(url);
      this.exec('SET client_min_messages = warning'); // no NOTICEs on stderr for IF NOT EXISTS
    } catch (e) {
      throw new StoreUnavailableError(url, (e as Error).message.trim(), 'check that PostgreSQL is running and that DAGCTL_DATABASE_URL names a database this user may use');
    }
  }

  #exec(sql: string, args: unknown[]): Array<Record<string, unknown>> {
    let p = this.#prepared.get(sql);
    if (!p) {
      const t = translate(sql);
      p = { name: `s${this.#prepared.size + 1}`, params: t.params };
      this.#call(() => this.#client.prepareSync(p!.name, t.text, t.params.length), sql);
      this.#prepared.set(sql, p);
    }
    const named = (args.length === 1 && args[0] !== null && typeof args[0] === 'object' ? args[0] : {}) as Record<string, unknown>;
    const values = p.params.map((k) => {
      const v = typeof k === 'number' ? args[k] : named[k];
      return v === undefined ? null : v;
    });
    return this.#call(() => this.#client.executeSync(p.name, values), sql);
  }

  #call<T>(fn: () => T, sql: string): T {
    try {
      return fn();
    } catch (e) {
      const state = this.#client.pq.resultErrorFields()?.sqlState;
      throw new PgError(`${(e as Error).message.trim()}${state ? ` (SQLSTATE ${state})` : ''} in: ${sql.replace(/\s+/g, ' ').slice(0, 200)}`, state);
    }
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.#exec(sql, params) as T[];
  }
  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.#exec(sql, params)[0] as T | undefined;
  }
  run(sql: string, ...params: unknown[]): number {
    this.#exec(sql, params);
    return Number(this.#client.pq.cmdTuples() || 0);
  }
  /** Runs a statement as it is (no parameters, several statements allowed): migrations. */
  exec(sql: string): void {
    this.#call(() => this.#client.querySync(sql), sql);
  }

  tx<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    for (let attempt = 1; ; attempt++) {
      this.exec('BEGIN');
      this.#depth = 1;
      try {
        const out = fn();
        this.exec('COMMIT');
        return out;
      } catch (e) {
        this.exec('ROLLBACK');
        // A deadlock between two writers aborts one of them: run its transaction again.
        if (!(e instanceof PgError && e.sqlState && RETRYABLE.has(e.sqlState)) || attempt >= MAX_TX_ATTEMPTS) throw e;
      } finally {
        this.#depth = 0;
      }
    }
  }
  savepoint<T>(fn: () => T): T {
    if (this.#depth === 0) return this.tx(fn);
    const name = `sp${this.#depth++}`;
    this.exec(`SAVEPOINT ${name}`);
    try {
      const out = fn();
      this.exec(`RELEASE SAVEPOINT ${name}`);
      return out;
    } catch (e) {
      this.exec(`ROLLBACK TO SAVEPOINT ${name}`);
      throw e;
    } finally {
      this.#depth--;
    }
  }
  close(): void {
    this.#client.pq.finish();
    // libpq's binding closes its socket watcher without waiting for libuv: were the connection object
    // collected before the close completes, node would abort (uv__finish_close). Keep it a moment.
    const client = this.#client;
    closing.add(client);
    setTimeout(() => closing.delete(client), 1000).unref();
  }
}
