/**
 * Users of `dagctl webserver` (Airflow's `airflow users create|list|delete`), over the store.
 *
 * Passwords are hashed with node's built-in scrypt (N=2^15, r=8, p=1: 32 MiB, ≈ 50–100 ms), a random 16-byte
 * salt per user and a constant-time comparison. scrypt is memory-hard and ships with node, so there is no
 * native dependency to build; argon2 would need one. Basic auth checks the password on every API request, so
 * a verified (username, password) pair is remembered in memory under an HMAC with a per-process key, next to
 * the hash it was verified against: a changed password or a deleted user misses at once.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { systemClock, type Clock } from './clock.js';
import { EngineError } from './errors.js';
import { openStore } from './store/open.js';
import type { Store, UserRow } from './store/store.js';

export const USER_ROLES = ['Viewer', 'Op', 'Admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export type UserInfo = Omit<UserRow, 'password_hash'>;

export interface NewUser {
  username: string;
  password: string;
  role: UserRole;
  email?: string;
  firstName?: string;
  lastName?: string;
}

export class UserError extends EngineError {
  constructor(code: 'user_exists' | 'user_not_found' | 'invalid_user', message: string, hint: string) {
    super(code, message, { hint, exitCode: code === 'invalid_user' ? 2 : 1 });
  }
}

const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LEN = 32;

function scryptAsync(password: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, KEY_LEN, o, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (base64): the parameters travel with the hash, so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

const info = ({ password_hash: _hash, ...u }: UserRow): UserInfo => u;
const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;

export interface UserService {
  create(u: NewUser): Promise<UserInfo>;
  get(username: string): UserInfo | undefined;
  list(): UserInfo[];
  delete(username: string): void;
  count(): number;
  /** The user when the password is theirs; undefined otherwise (unknown users cost a hash too). */
  verify(username: string, password: string): Promise<UserInfo | undefined>;
  close(): void;
}

export function userService(store: Store, clock: Clock = systemClock): UserService {
  const hmacKey = randomBytes(32);
  const verified = new Map<string, string>(); // hmac(username, password) -> the hash it matched
  // A hash to compare against for unknown users, so a miss takes as long as a wrong password.
  let decoy: Promise<string> | undefined;
  return {
    async create(u) {
      if (!USERNAME.test(u.username)) throw new UserError('invalid_user', `invalid username '${u.username}'`, 'use 1-64 letters, digits, _ . @ -');
      if (!(USER_ROLES as readonly string[]).includes(u.role)) throw new UserError('invalid_user', `unknown role '${u.role}'`, `roles: ${USER_ROLES.join(', ')}`);
      if (u.password.length < 1) throw new UserError('invalid_user', 'the password is empty', 'pass one with -p');
      const row = { username: u.username, email: u.email ?? '', first_name: u.firstName ?? '', last_name: u.lastName ?? '', role: u.role, password_hash: await hashPassword(u.password) };
      if (!store.createUser(row, clock.now().toISOString())) {
        throw new UserError('user_exists', `user '${u.username}' already exists`, `delete it first: dagctl users delete -u ${u.username}`);
      }
      return info(store.getUser(u.username)!);
    },
    get: (username) => {
      const r = store.getUser(username);
      return r && info(r);
    },
    list: () => store.listUsers().map(info),
    delete(username) {
      if (!store.deleteUser(username)) throw new UserError('user_not_found', `user '${username}' does not exist`, 'list the users with: dagctl users list');
    },
    count: () => store.countUsers(),
    async verify(username, password) {
      const row = store.getUser(username);
      if (!row) {
        decoy ??= hashPassword(randomBytes(16).toString('hex'));
        await verifyPassword(password, await decoy);
        return undefined;
      }
      const key = createHmac('sha256', hmacKey).update(username).update('\0').update(password).digest('base64');
      if (verified.get(key) === row.password_hash) return info(row);
      if (!(await verifyPassword(password, row.password_hash))) return undefined;
      if (verified.size > 10_000) verified.clear();
      verified.set(key, row.password_hash);
      return info(row);
    },
    close: () => store.close(),
  };
}

/** Opens the users of DAGCTL_HOME's database (migrating it, as the engine does). */
export function openUserStore(home: string, clock: Clock = systemClock): UserService {
  return userService(openStore(home, clock.now().toISOString()), clock);
}
