/**
 * Failed logins, rate-limited per client address and username with @fastify/rate-limit, and per address
 * alone (one password tried across many usernames, each try a costly scrypt) by a sliding window of its
 * own (the plugin counts one key per request): once a key has failed too often within the window it is
 * locked out (429, Retry-After) until the window has passed, even with the right password. Successful
 * logins are never counted.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../engine/service.js';
import { HttpProblem } from '../api/problem.js';

export interface LoginThrottle {
  /** Throws 429 while this address and username are locked out. */
  check(request: FastifyRequest, username: string): void;
  /** Counts a failure; throws 429 when it is one too many. */
  failed(request: FastifyRequest, reply: FastifyReply, username: string): Promise<void>;
}

export interface ThrottleOptions {
  /** Failures allowed per window for one address and username (default 5). */
  max?: number;
  /** Failures allowed per window for one address, whatever the usernames (default 4 × max). */
  maxPerAddress?: number;
  /** Window and lock-out, in ms (default 60 s). */
  windowMs?: number;
}

export function loginThrottle(app: FastifyInstance, clock: Clock, o: ThrottleOptions = {}): LoginThrottle {
  const max = o.max ?? 5;
  const windowMs = o.windowMs ?? 60_000;
  const attempted = new WeakMap<FastifyRequest, string>();
  const lockedUntil = new Map<string, number>();
  const keyOf = (request: FastifyRequest, username: string): string => `${request.ip}|${username}`;
  const addressKey = (request: FastifyRequest): string => `${request.ip}|*`;
  const tooMany = (retryS: number, who: string): HttpProblem =>
    new HttpProblem(429, 'Too Many Requests', `too many failed logins ${who}; try again in ${retryS} s`, { 'retry-after': String(retryS) });
  const perUser = app.rateLimit({
    max,
    timeWindow: windowMs,
    keyGenerator: (request) => keyOf(request, attempted.get(request) ?? ''),
    onExceeded: (request, k) => {
      lockedUntil.set(k, clock.now().getTime() + windowMs);
      request.log.warn({ key: k }, 'failed logins over the limit: locked out');
    },
    errorResponseBuilder: (_request, ctx) => tooMany(Math.ceil(ctx.ttl / 1000), 'for this user from this address'),
  });
  const maxPerAddress = o.maxPerAddress ?? max * 4;
  /** Failure times per address within the window. */
  const byAddress = new Map<string, number[]>();
  const countAddress = (request: FastifyRequest): void => {
    const now = clock.now().getTime();
    const key = addressKey(request);
    const recent = (byAddress.get(key) ?? []).filter((t) => t > now - windowMs);
    recent.push(now);
    byAddress.set(key, recent);
    if (recent.length <= maxPerAddress) return;
    byAddress.delete(key);
    lockedUntil.set(key, now + windowMs);
    request.log.warn({ key }, 'failed logins from one address over the limit: locked out');
    throw tooMany(Math.ceil(windowMs / 1000), 'from this address');
  };
  const locked = (key: string, who: string): void => {
    const until = lockedUntil.get(key);
    if (until === undefined) return;
    const left = until - clock.now().getTime();
    if (left <= 0) lockedUntil.delete(key);
    else throw tooMany(Math.ceil(left / 1000), who);
  };
  return {
    check(request, username) {
      locked(addressKey(request), 'from this address');
      locked(keyOf(request, username), 'for this user from this address');
    },
    async failed(request, reply, username) {
      attempted.set(request, username);
      countAddress(request);
      await perUser.call(app, request, reply);
    },
  };
}
