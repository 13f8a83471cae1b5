// dagctl users create|list|delete (Airflow's command shape) and `dagctl webserver` refusing to start
// without a user, printing the command that creates one.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openUserStore } from '../../src/engine/users.js';
import { CREATE_USER_HINT } from '../../src/cli/commands/webserver.js';
import { dagctl, json, tempHome } from './harness.js';

let home: string;
let cleanup: () => void;
beforeEach(() => ({ home, cleanup } = tempHome()));
afterEach(() => cleanup());

describe('dagctl users', () => {
  test('creates a user with Airflow flags, lists it (never the hash) and deletes it', async () => {
    const created = await dagctl(home, ['users', 'create', '-u', 'ada', '-p', 's3cret', '-r', 'Op', '-e', 'ada@example.com', '-f', 'Ada', '-l', 'Lovelace']);
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('User "ada" created with role "Op"\n');
    const list = await dagctl(home, ['users', 'list', '-o', 'json']);
    expect(json(list)).toEqual([expect.objectContaining({ username: 'ada', email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', role: 'Op' })]);
    expect(list.stdout).not.toContain('scrypt');
    const users = openUserStore(home);
    try {
      expect(await users.verify('ada', 's3cret')).toMatchObject({ username: 'ada', role: 'Op' });
      expect(await users.verify('ada', 'wrong')).toBeUndefined();
    } finally {
      users.close();
    }
    expect((await dagctl(home, ['users', 'delete', '-u', 'ada'])).stdout).toBe('User "ada" deleted\n');
    expect(json(await dagctl(home, ['users', 'list', '-o', 'json']))).toEqual([]);
  });

  test('refuses a duplicate, an unknown role and deleting a user that does not exist', async () => {
    await dagctl(home, ['users', 'create', '-u', 'ada', '-p', 'x', '-r', 'Admin']);
    const dup = await dagctl(home, ['users', 'create', '-u', 'ada', '-p', 'y', '-r', 'Viewer']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("user 'ada' already exists");
    const role = await dagctl(home, ['users', 'create', '-u', 'bob', '-p', 'x', '-r', 'Root']);
    expect(role.code).not.toBe(0);
    expect(role.stderr).toContain('Admin, Op, Viewer');
    const gone = await dagctl(home, ['users', 'delete', '-u', 'ghost']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('dagctl users list');
  });

  test('stores a salted scrypt hash: two users with one password get different hashes', async () => {
    await dagctl(home, ['users', 'create', '-u', 'a', '-p', 'same', '-r', 'Viewer']);
    await dagctl(home, ['users', 'create', '-u', 'b', '-p', 'same', '-r', 'Viewer']);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(`${home}/dagctl.db`, { readonly: true });
    try {
      const hashes = db.prepare('SELECT password_hash FROM ab_user ORDER BY username').all() as Array<{ password_hash: string }>;
      expect(hashes[0]!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(hashes[0]!.password_hash).not.toBe(hashes[1]!.password_hash);
    } finally {
      db.close();
    }
  });
});

test('dagctl webserver refuses to start with no user and prints the command that creates one', async () => {
  const r = await dagctl(home, ['webserver', '--port', '0']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('no user can log in');
  expect(r.stderr).toContain(CREATE_USER_HINT);
});
