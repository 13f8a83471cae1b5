/**
 * What the web server's parts share: the engine facade they are a thin layer over, and who is asking.
 * The REST API (src/web/api) and the UI (src/web/ui) are both registered on one Fastify instance by
 * src/web/server.ts, behind one authentication hook that sets `request.user`.
 */
import type { Logger } from 'pino';
import type { Clock, Engine } from '../engine/service.js';

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
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; null only on the routes that need no login (/health, /login). */
    user: WebUser | null;
  }
}
