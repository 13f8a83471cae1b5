/** Web server users (Airflow's ab_user): one role each; only a password hash is ever stored. */
import type { Sql } from './sql.js';
import type { Store, UserRow } from './store.js';

export type UserOps = Pick<Store, 'createUser' | 'getUser' | 'listUsers' | 'deleteUser' | 'countUsers'>;

const COLS = 'username, email, first_name, last_name, role, password_hash, created_at';

export function userOps(sql: Sql): UserOps {
  return {
    createUser(u, now) {
      // ON CONFLICT DO NOTHING: a clash is reported as false, not as a constraint error the caller must parse.
      return (
        sql.run(
          `INSERT INTO ab_user (${COLS}) VALUES (@username, @email, @first_name, @last_name, @role, @password_hash, @now) ON CONFLICT DO NOTHING`,
          { ...u, now },
        ) === 1
      );
    },
    getUser(username) {
      return sql.get<UserRow>(`SELECT ${COLS} FROM ab_user WHERE username = ?`, username);
    },
    listUsers() {
      return sql.all<UserRow>(`SELECT ${COLS} FROM ab_user ORDER BY username`);
    },
    deleteUser(username) {
      return sql.run('DELETE FROM ab_user WHERE username = ?', username) === 1;
    },
    countUsers() {
      return sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM ab_user')!.n;
    },
  };
}
