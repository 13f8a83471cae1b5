/**
 * The UI's session: a cookie holding `username:expiry`, signed (HMAC-SHA256) by @fastify/cookie with the
 * server's secret key. Stateless, so it survives restarts and needs no session store; the user is looked
 * up again on every request, so deleting a user (or changing their role) takes effect at once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'dagctl_session';
/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', signed: true } as const;

export function startSession(reply: FastifyReply, username: string, now: Date): void {
  reply.setCookie(SESSION_COOKIE, `${username}:${now.getTime() + SESSION_TTL_MS}`, { ...cookieOptions, maxAge: SESSION_TTL_MS / 1000 });
}

export function endSession(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions);
}

/** The username of a valid, unexpired session cookie. */
export function sessionUser(request: FastifyRequest, now: Date): string | undefined {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return undefined;
  const r = request.unsignCookie(raw);
  if (!r.valid || r.value === null) return undefined;
  const at = r.value.lastIndexOf(':');
  const expires = Number(r.value.slice(at + 1));
  if (at < 1 || !Number.isFinite(expires) || expires <= now.getTime()) return undefined;
  return r.value.slice(0, at);
}
