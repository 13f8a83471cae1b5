/**
 * Failed logins, rate-limited per client address and username with @fastify/rate-limit: each failure is
 * counted; once a pair has failed `max` times within the window it is locked out (429, Retry-After) until
 * the window has passed, even with the right password. Successful logins are never counted.
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
  /** Failures allowed per window (default 5). */
  max?: number;
  /** Window and lock-out, in ms (default 60 s). */
  windowMs?: number;
}

export function loginThrottle(app: FastifyInstance, clock: Clock, o: ThrottleOptions = {}): LoginThrottle {
  const max = o.max ?? 5;
  const windowMs = o.windowMs ?? 60_000;
  const attempted = new WeakMap<FastifyRequest, string>();
  const lockedUntil = new Map<string, number>();
  const keyOf = (request: FastifyRequest, username: string): string => `${request.ip}|${username}`;
  const tooMany = (retryS: number): HttpProblem =>
    new HttpProblem(429, 'Too Many Requests', `too many failed logins for this user from this address; try again in ${retryS} s`, { 'retry-after': String(retryS) });
  const limiter = app.rateLimit({
    max,
    timeWindow: windowMs,
    keyGenerator: (request) => keyOf(request, attempted.get(request) ?? ''),
    onExceeded: (request, key) => {
      lockedUntil.set(key, clock.now().getTime() + windowMs);
      request.log.warn({ key }, 'failed logins over the limit: locked out');
    },
    errorResponseBuilder: (_request, ctx) => tooMany(Math.ceil(ctx.ttl / 1000)),
  });
  return {
    check(request, username) {
      const key = keyOf(request, username);
      const until = lockedUntil.get(key);
      if (until === undefined) return;
      const left = until - clock.now().getTime();
      if (left <= 0) lockedUntil.delete(key);
      else throw tooMany(Math.ceil(left / 1000));
    },
    async failed(request, reply, username) {
      attempted.set(request, username);
      await limiter.call(app, request, reply);
    },
  };
}
