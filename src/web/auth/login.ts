/** GET/POST /login (a form, CSRF-protected, failures rate-limited) and /logout. */
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { loginPage } from './html.js';
import { endSession, startSession } from './session.js';
import type { LoginThrottle } from './throttle.js';

/**
 * Only a path on this server, never another host (an open redirect): resolved against a placeholder origin,
 * it must stay on it. Browsers drop tabs and newlines and read `\\` as `/`, so `/\t/evil.example` and
 * `/\\evil.example` would leave; so are control characters and backslashes refused outright.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  const url = new URL(next, 'http://dagctl.invalid');
  return url.origin === 'http://dagctl.invalid' ? `${url.pathname}${url.search}${url.hash}` : '/';
}

interface LoginBody {
  username: string;
  password: string;
  next?: string;
}

export async function registerLogin(app: FastifyInstance, ctx: WebContext, throttle: LoginThrottle): Promise<void> {
  // Form bodies are parsed here only: the API accepts JSON alone (what keeps Basic-auth requests CSRF-safe).
  await app.register(async (scope) => {
    await scope.register(fastifyFormbody);
    scope.get<{ Querystring: { next?: string } }>('/login', async (request, reply) => {
      const csrf = reply.generateCsrf();
      return reply.type('text/html; charset=utf-8').send(loginPage({ csrf, next: safeNext(request.query.next) }));
    });
    scope.post<{ Body: LoginBody }>(
      '/login',
      {
        preHandler: scope.csrfProtection,
        schema: {
          body: {
            type: 'object',
            required: ['username', 'password'],
            properties: { username: { type: 'string', maxLength: 256 }, password: { type: 'string', maxLength: 1024 }, next: { type: 'string' }, _csrf: { type: 'string' } },
          },
        },
      },
      async (request, reply) => {
        const { username, password } = request.body;
        const next = safeNext(request.body.next);
        throttle.check(request, username);
        const user = await ctx.users.verify(username, password);
        if (!user) {
          await throttle.failed(request, reply, username);
          ctx.logger.warn({ username, ip: request.ip }, 'failed login');
          const csrf = reply.generateCsrf();
          return reply.code(401).type('text/html; charset=utf-8').send(loginPage({ csrf, next, username, error: 'Invalid login. Please try again.' }));
        }
        startSession(reply, user.username, ctx.clock.now());
        ctx.logger.info({ username }, 'logged in');
        return reply.redirect(next, 303);
      },
    );
    scope.get('/logout', async (_request, reply) => {
      endSession(reply);
      return reply.redirect('/login', 303);
    });
  });
}
