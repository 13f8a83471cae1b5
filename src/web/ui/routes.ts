/** The UI's pages and the log endpoint a followed log polls. Each page reads through the engine facade and renders HTML. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';
import { gridData, runStates } from './grid-data.js';
import { layoutDag } from './graph-layout.js';
import { isNotFound, notFoundProblem } from './not-found.js';
import { html, type Html } from './html.js';
import { canEdit, page, type PageOptions } from './layout.js';
import { graphBody } from './pages/graph.js';
import { gridBody } from './pages/grid.js';
import { homeBody } from './pages/home.js';
import { runBody } from './pages/run.js';
import { mappedBody, tiBody } from './pages/task-instance.js';
import { triggerBody } from './pages/trigger.js';
import { RETRAINING_DAG_ID, retrainingSummary } from './retraining.js';
import { tries, xcoms } from './ti-data.js';

const enc = encodeURIComponent;

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;
type Render = (req: Req) => Promise<Omit<PageOptions, 'user' | 'csrf'>>;

const q = (props: Record<string, object>) => ({ querystring: { type: 'object', properties: props, additionalProperties: true } });
const NUM_RUNS = { type: 'integer', minimum: 1, maximum: 365, default: 25 };
const RUN_ID = { type: 'string', maxLength: 250 };
const TRY = { type: 'integer', minimum: 1, maximum: 10000 };
const MAP_INDEX = { type: 'integer', minimum: -1, maximum: 1_000_000, default: -1 };

/** A page that cannot be shown: rendered as an HTML error page with this status. */
class PageError extends Error {
  constructor(readonly status: number, readonly title: string, message: string) {
    super(message);
  }
}

function errorPage(reply: FastifyReply, req: Req, status: number, title: string, message: string): Html {
  reply.code(status).type('text/html; charset=utf-8');
  return page({ title, user: req.user, csrf: '', body: html`<section class="error-page"><h1>${status} ${title}</h1><p>${message}</p><p><a href="/home">Back to the DAGs</a></p></section>` });
}

export function registerPages(app: FastifyInstance, ctx: WebContext, o: { pollMs: number; serveUrl: string }): void {
  const { engine } = ctx;
  /** A page: 400 for a bad query, 404 for an unknown DAG/run/task, the page otherwise (never a stack trace). */
  const route = (url: string, schema: object, render: Render): void => {
    app.get(url, { schema, attachValidation: true }, async (req, reply) => {
      const r = req as Req;
      if (req.validationError) return errorPage(reply, r, 400, 'Bad Request', req.validationError.message).value;
      try {
        const p = await render(r);
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
        return page({ ...p, user: req.user, csrf: await reply.generateCsrf() }).value;
      } catch (err) {
        if (isNotFound(err)) return errorPage(reply, r, 404, 'Not Found', err.message).value;
        if (err instanceof PageError) return errorPage(reply, r, err.status, err.title, err.message).value;
        throw err;
      }
    });
  };

  app.get('/', async (_req, reply) => reply.redirect('/home', 302));

  route('/home', {}, async (req) => {
    const dags = engine.listDags().map((dag) => ({ dag, runs: engine.listDagRuns({ dagId: dag.dag_id, limit: 10 }) }));
    return { title: 'DAGs', body: homeBody({ dags, importErrors: engine.importErrors() }, req.user) };
  });

  route('/dags/:dagId/grid', q({ num_runs: NUM_RUNS, dag_run_id: RUN_ID }), async (req) => {
    const { dagId } = req.params as { dagId: string };
    const numRuns = req.query.num_runs as number;
    engine.getDag(dagId);
    const dag = engine.listDags().find((d) => d.dag_id === dagId);
    if (!dag) throw new PageError(404, 'Not Found', `DAG '${dagId}' is not in the database yet; restart the server after adding its file.`);
    const data = gridData(engine, dagId, numRuns);
    return { title: `${dagId} grid`, dagId, tab: 'grid', scripts: ['grid.js'], body: gridBody(data, dag, req.user, numRuns, req.query.dag_run_id as string | undefined) };
  });

  route('/dags/:dagId/graph', q({ dag_run_id: RUN_ID }), async (req) => {
    const { dagId } = req.params as { dagId: string };
    const layout = layoutDag(engine.listTasks(dagId));
    const runs = engine.listDagRuns({ dagId, limit: 25 });
    const wanted = req.query.dag_run_id as string | undefined;
    const run = wanted ? engine.getDagRun(dagId, wanted) : runs[0];
    const states = run ? runStates(engine, dagId, run.run_id) : new Map();
    return { title: `${dagId} graph`, dagId, tab: 'graph', body: graphBody(dagId, layout, runs, run, states) };
  });

  route('/dags/:dagId/trigger', {}, async (req) => {
    const { dagId } = req.params as { dagId: string };
    const dag = engine.getDag(dagId);
    if (!canEdit(req.user)) throw new PageError(403, 'Forbidden', 'Your role (Viewer) may not trigger DAG runs; an Admin can give you the Op role.');
    return { title: `Trigger ${dagId}`, dagId, tab: 'trigger', scripts: ['trigger.js'], body: triggerBody(dagId, dag.params) };
  });

  route('/dags/:dagId/runs/:runId', {}, async (req) => {
    const { dagId, runId } = req.params as { dagId: string; runId: string };
    const run = engine.getDagRun(dagId, runId);
    const summary = dagId === RETRAINING_DAG_ID ? await retrainingSummary(engine, dagId, runId, o.serveUrl) : null;
    return { title: `${dagId} ${runId}`, dagId, body: runBody(run, engine.taskInstances(dagId, runId), summary) };
  });

  route('/dags/:dagId/runs/:runId/tasks/:taskId', q({ try_number: TRY, map_index: MAP_INDEX }), async (req) => {
    const { dagId, runId, taskId } = req.params as { dagId: string; runId: string; taskId: string };
    const mapIndex = req.query.map_index as number;
    if (mapIndex === -1) {
      const mapped = engine.taskInstances(dagId, runId).filter((t) => t.task_id === taskId && (t.map_index ?? -1) >= 0);
      if (mapped.length > 0) return { title: `${taskId} - ${runId}`, dagId, body: mappedBody(dagId, runId, taskId, mapped) };
    }
    const ti = engine.taskInstance(dagId, runId, taskId, mapIndex);
    const wanted = req.query.try_number as number | undefined;
    if (wanted !== undefined && wanted > ti.try_number) throw new PageError(404, 'Not Found', `Task ${taskId} of run ${runId} has no try ${wanted} (it is at try ${ti.try_number}).`);
    const shownTry = wanted ?? ti.try_number;
    const log = shownTry > 0 ? engine.taskLog(dagId, runId, taskId, shownTry, mapIndex) : `*** task ${taskId} has not run yet; there is no log\n`;
    const logUrl = `/ui/dags/${enc(dagId)}/runs/${enc(runId)}/tasks/${enc(taskId)}/log?try_number=${Math.max(1, shownTry)}&map_index=${mapIndex}`;
    const task = engine.listTasks(dagId).find((t) => t.task_id === taskId);
    return {
      title: `${taskId} - ${runId}`, dagId, scripts: ['task-instance.js'],
      body: tiBody({ ti, task, tries: tries(engine, ti), xcoms: xcoms(ctx.runs, ti), shownTry, log, logUrl }, req.user),
    };
  });

  // What a followed log polls: the try's log so far and the task instance's state (JSON; 404 for an unknown try).
  app.get<{ Params: { dagId: string; runId: string; taskId: string }; Querystring: { try_number: number; map_index: number } }>(
    '/ui/dags/:dagId/runs/:runId/tasks/:taskId/log',
    { schema: { querystring: { type: 'object', required: ['try_number'], properties: { try_number: TRY, map_index: MAP_INDEX } } } },
    async (req, reply) => {
      const { dagId, runId, taskId } = req.params;
      try {
        const mapIndex = req.query.map_index;
        const ti = engine.taskInstance(dagId, runId, taskId, mapIndex);
        const n = req.query.try_number;
        if (n > Math.max(1, ti.try_number)) return reply.code(404).send(notFoundProblem(`no try ${n} of ${taskId} (it is at try ${ti.try_number})`));
        const content = ti.try_number === 0 ? '' : engine.taskLog(dagId, runId, taskId, n, mapIndex);
        return { content, state: ti.state, try_number: ti.try_number };
      } catch (err) {
        if (isNotFound(err)) return reply.code(404).send(notFoundProblem(err.message));
        throw err;
      }
    },
  );
}
