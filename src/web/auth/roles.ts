/** Airflow's roles as the API applies them: Viewer reads; Op and Admin may also trigger, clear, mark, pause, delete. */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Role } from '../context.js';
import { HttpProblem } from '../api/problem.js';

export const canWrite = (role: Role): boolean => role === 'Op' || role === 'Admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route changes state: Op or Admin only. */
    write?: boolean;
  }
}

/** preHandler: 403 for a Viewer on a route marked `config: { write: true }`. */
export function checkRole(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const user = request.user;
  if (request.routeOptions.config?.write && user && !canWrite(user.role)) {
    done(new HttpProblem(403, 'Forbidden', `user '${user.username}' has the ${user.role} role, which may only read; this action needs Op or Admin`));
    return;
  }
  done();
}
