/**
 * What the web server's parts share: the engine facade they are a thin layer over, and who is asking.
 * The REST API (src/web/api) and the UI (src/web/ui) are both registered on one Fastify instance by
 * src/web/server.ts, behind one authentication hook that sets `request.user`.
 */
import type { Logger } from 'pino';
import type { RunAdmin } from '../engine/run-admin.js';
import type { Clock, Engine } from '../engine/service.js';
import type { UserService } from '../engine/users.js';

/** Airflow's roles, weakest first: Viewer reads; Op and Admin may also trigger, clear, mark and pause. */
export const ROLES = ['Viewer', 'Op', 'Admin'] as const;
export type Role = (typeof ROLES)[number];

export interface WebUser {
  username: string;
  role: Role;
}

export interface WebContext {
  engine: Engine;
  logger: Logger;
  clock: Clock;
  /** DAGCTL_HOME, where the database and the task logs live. */
  home: string;
  /** Who may log in (`dagctl users create`). */
  users: UserService;
  /** What the REST API does to runs beyond the engine facade (set state, delete, note, XCom listing). */
  runs: RunAdmin;
}

/**
 * CSRF: a page that performs actions (fetch with the session cookie to a POST/PATCH/DELETE route) renders
 * `await reply.generateCsrf()` into itself and sends it back in the `x-csrf-token` header (or a form's
 * `_csrf` field). Unsafe requests authenticated by the session cookie are refused (403) without it.
 * Requests with HTTP Basic credentials need none: the API parses only application/json bodies, which a
 * cross-site page cannot send without a CORS preflight this server never grants. `reply.generateCsrf`
 * comes from @fastify/csrf-protection.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; null only on the routes that need no login (/health, /login). */
    user: WebUser | null;
    /** How `user` was authenticated: HTTP Basic, or the UI's session cookie. */
    authBy: 'basic' | 'session' | null;
  }
}
