/**
 * Who is asking: HTTP Basic (the API's clients) or the UI's signed session cookie, checked on every request
 * but /health, /api/v1/health, /login, /logout and /static/. A browser page without either is sent to
 * /login?next=…; anything else gets 401 with `WWW-Authenticate: Basic`. Unsafe requests that came with the
 * session cookie must carry the CSRF token; routes marked `config: { write: true }` need Op or Admin.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { WebContext } from '../context.js';
import { HttpProblem } from '../api/problem.js';
import { registerLogin } from './login.js';
import { checkRole } from './roles.js';
import { sessionUser } from './session.js';
import { loginThrottle, type ThrottleOptions } from './throttle.js';

const PUBLIC = new Set(['/health', '/api/v1/health', '/login', '/logout']);
const isPublic = (path: string): boolean => PUBLIC.has(path) || path.startsWith('/static/');
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const unauthenticated = (detail: string): HttpProblem => new HttpProblem(401, 'Unauthorized', detail, { 'www-authenticate': 'Basic realm="dagctl", charset="UTF-8"' });

function basicCredentials(header: string): { username: string; password: string } {
  const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  if (at < 0) throw unauthenticated('malformed Basic credentials: expected base64 of username:password');
  return { username: decoded.slice(0, at), password: decoded.slice(at + 1) };
}

export async function registerAuth(app: FastifyInstance, ctx: WebContext, o: { secret: string; throttle?: ThrottleOptions }): Promise<void> {
  await app.register(fastifyCookie, { secret: o.secret });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/cookie', cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, signed: true } });
  await app.register(fastifyRateLimit, { global: false });
  app.decorateRequest('user', null);
  app.decorateRequest('authBy', null);
  const throttle = loginThrottle(app, ctx.clock, o.throttle);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    if (isPublic(path)) return;
    const header = request.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const { username, password } = basicCredentials(header);
      throttle.check(request, username);
      const user = await ctx.users.verify(username, password);
      if (!user) {
        await throttle.failed(request, reply, username);
        request.log.warn({ username, ip: request.ip }, 'failed Basic authentication');
        throw unauthenticated('Invalid credentials');
      }
      request.user = { username: user.username, role: user.role };
      request.authBy = 'basic';
      return;
    }
    const name = sessionUser(request, ctx.clock.now());
    const user = name === undefined ? undefined : ctx.users.get(name);
    if (user) {
      request.user = { username: user.username, role: user.role };
      request.authBy = 'session';
      return;
    }
    if (request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')) {
      return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 302);
    }
    throw unauthenticated('No credentials were given: use HTTP Basic (dagctl users create), or log in at /login');
  });

  app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (request.authBy === 'session' && !SAFE_METHODS.has(request.method)) {
      app.csrfProtection(request, reply, done);
      return;
    }
    done();
  });
  app.addHook('preHandler', checkRole);
  await registerLogin(app, ctx, throttle);
}
