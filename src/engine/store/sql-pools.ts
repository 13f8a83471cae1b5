/** Pools (Airflow's slot_pool) and what their task instances occupy. */
import type { PoolRow } from './rows.js';
import type { Sql } from './sql.js';
import type { Store } from './store.js';

export type PoolOps = Pick<Store, 'listPools' | 'getPool' | 'setPool' | 'deletePool' | 'createMissingPools'>;

export function poolOps(sql: Sql): PoolOps {
  const getPool = (name: string): PoolRow | undefined => sql.get<PoolRow>('SELECT pool, slots, description FROM slot_pool WHERE pool = ?', name);
  return {
    listPools() {
      return sql.all<PoolRow>('SELECT pool, slots, description FROM slot_pool ORDER BY pool');
    },
    getPool,
    setPool(name, slots, description) {
      return sql.tx(() => {
        sql.run(
          `INSERT INTO slot_pool (pool, slots, description) VALUES (?, ?, COALESCE(?, ''))
           ON CONFLICT (pool) DO UPDATE SET slots = excluded.slots, description = COALESCE(?, slot_pool.description)`,
          name, slots, description ?? null, description ?? null,
        );
        return getPool(name)!;
      });
    },
    deletePool(name) {
      return sql.run('DELETE FROM slot_pool WHERE pool = ?', name) === 1;
    },
    createMissingPools(names, slots, description) {
      return sql.tx(() => names.filter((n) => sql.run('INSERT INTO slot_pool (pool, slots, description) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', n, slots, description) === 1));
    },
  };
}
