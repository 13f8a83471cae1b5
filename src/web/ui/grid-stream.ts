/**
 * The grid's live updates as server-sent events. While any of the DAG's latest runs is queued or running, the
 * store is polled every `pollMs`; a run whose states changed is sent as `event: run` ({run_id, state, tis}).
 * A run the page does not know yet is sent as `event: new-run` (the page reloads to add its column). When no
 * run is active any more, the final states are sent, then `event: end`, and the stream closes. A stream also
 * closes when the client goes away and when the server closes (a preClose hook), so no timer outlives either;
 * its connection closes with it, so the server's close never waits on a lingering socket.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';
import { runStates } from './grid-data.js';
import { isNotFound, notFoundProblem } from './not-found.js';
import { isRunActive } from './states.js';

export interface StreamOptions {
  pollMs: number;
  /** A comment line after this many quiet polls keeps proxies from closing the connection. */
  keepAliveEvery?: number;
}

interface Query {
  num_runs: number;
  /** Runs the page showed as active: their final state is sent even if they finished before the stream opened. */
  watch?: string[];
}

export function registerGridStream(app: FastifyInstance, ctx: WebContext, o: StreamOptions): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get<{ Params: { dagId: string }; Querystring: Query }>(
    '/ui/dags/:dagId/grid/events',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { num_runs: { type: 'integer', minimum: 1, maximum: 365, default: 25 }, watch: { type: 'array', maxItems: 365, items: { type: 'string', maxLength: 250 } } },
        },
      },
    },
    async (req: FastifyRequest<{ Params: { dagId: string }; Querystring: Query }>, reply: FastifyReply) => {
      const { dagId } = req.params;
      const { engine } = ctx;
      try {
        engine.getDag(dagId); // an unknown DAG is a 404 before the stream starts
      } catch (err) {
        if (isNotFound(err)) return reply.code(404).send(notFoundProblem(err.message));
        throw err;
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'close', 'x-accel-buffering': 'no' });
      const socket = res.socket; // res lets go of it when it ends
      const log = ctx.logger.child({ dagId, stream: 'grid' });
      const sent = new Map<string, string>();
      const known = new Set(engine.listDagRuns({ dagId, limit: req.query.num_runs }).map((r) => r.run_id));
      let watching = new Set<string>(req.query.watch ?? []);
      let timer: NodeJS.Timeout | undefined;
      let quiet = 0;
      let closed = false;
      const send = (event: string, data: unknown): void => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const close = (): void => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        open.delete(close);
        // Once the last bytes are out, drop the socket: a client may keep it half-open, and the server's close waits for it.
        res.end(() => socket?.destroy());
      };
      open.add(close);
      res.on('close', close);

      const poll = (): void => {
        if (closed) return;
        try {
          const runs = engine.listDagRuns({ dagId, limit: req.query.num_runs });
          const active = new Set(runs.filter((r) => isRunActive(r.state)).map((r) => r.run_id));
          let wrote = false;
          for (const r of runs) {
            if (!active.has(r.run_id) && !watching.has(r.run_id) && sent.has(r.run_id)) continue;
            if (!known.has(r.run_id)) {
              known.add(r.run_id);
              send('new-run', { run_id: r.run_id, state: r.state });
              wrote = true;
            }
            if (!active.has(r.run_id) && !watching.has(r.run_id)) continue;
            const tis = Object.fromEntries(runStates(engine, dagId, r.run_id));
            const body = JSON.stringify({ run_id: r.run_id, state: r.state, tis });
            if (sent.get(r.run_id) !== body) {
              sent.set(r.run_id, body);
              res.write(`event: run\ndata: ${body}\n\n`);
              wrote = true;
            }
          }
          watching = active;
          if (active.size === 0) {
            send('end', { reason: 'no active run' });
            close();
            return;
          }
          if (wrote) quiet = 0;
          else if (++quiet >= (o.keepAliveEvery ?? 15)) (res.write(': keep-alive\n\n'), (quiet = 0));
        } catch (err) {
          log.error({ err }, 'grid stream failed; closing it');
          send('error', { message: 'the server could not read the runs; reload the page' });
          close();
          return;
        }
        timer = setTimeout(poll, o.pollMs);
      };
      // Tell EventSource not to reconnect quickly after `end`; the page closes it anyway.
      res.write('retry: 10000\n\n');
      poll();
    },
  );
}
