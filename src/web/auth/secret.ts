/**
 * The key that signs session and CSRF cookies (Airflow's [webserver] secret_key): generated once, kept in
 * DAGCTL_HOME/webserver_secret_key with mode 0600 so that sessions survive a restart and nobody else on the
 * machine can read it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function secretFile(home: string): string {
  return path.join(home, 'webserver_secret_key');
}

export function loadOrCreateSecret(home: string): string {
  const file = secretFile(home);
  mkdirSync(home, { recursive: true });
  try {
    // 'wx': only the first server to start writes it; a concurrent one reads what that one wrote.
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file} holds a key shorter than 32 characters; delete it and a new one is generated`);
  return secret;
}
