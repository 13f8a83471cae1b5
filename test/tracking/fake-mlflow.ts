// A fake MLflow tracking server: exactly the REST endpoints our client calls, with MLflow's error shapes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
}

interface Run {
  info: { run_id: string; run_uuid: string; experiment_id: string; run_name: string; status: string; start_time: number; end_time?: number; artifact_uri: string; lifecycle_stage: string };
  metrics: { key: string; value: number; timestamp: number; step: number }[];
  params: Map<string, string>;
  tags: Map<string, string>;
}

export interface FakeMlflow {
  url: string;
  requests: Recorded[];
  experiments: Map<string, { experiment_id: string; name: string; lifecycle_stage: string }>;
  runs: Map<string, Run>;
  artifacts: Map<string, Buffer>;
  models: Map<string, { versions: { version: string; source: string; run_id?: string; tags: Record<string, string> }[]; aliases: Map<string, string> }>;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** Artifact URI of new runs; default `mlflow-artifacts:/<exp>/<run>/artifacts`. */
  artifactUri?: (exp: string, run: string) => string;
}

const LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 };

class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeMlflow(o: FakeOptions = {}): Promise<FakeMlflow> {
  const state: Omit<FakeMlflow, 'url' | 'close'> = { requests: [], experiments: new Map(), runs: new Map(), artifacts: new Map(), models: new Map() };
  state.experiments.set('0', { experiment_id: '0', name: 'Default', lifecycle_stage: 'active' });
  let nextExp = 1;

  const handle = async (req: IncomingMessage, url: URL, raw: Buffer): Promise<unknown> => {
    const p = url.pathname;
    if (req.method === 'PUT' && p.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      state.artifacts.set(decodeURIComponent(p.slice('/api/2.0/mlflow-artifacts/artifacts/'.length)), raw);
      return {};
    }
    const ep = p.replace(/^\/api\/2\.0\/mlflow\//, '');
    if (req.method === 'POST' && req.headers['content-type'] !== 'application/json') throw new ApiError(400, 'BAD_REQUEST', 'Content-Type must be application/json');
    const body = (req.method === 'POST' ? JSON.parse(raw.toString() || '{}') : {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON
    const q = url.searchParams;
    const run = (id: string): Run => {
      const r = state.runs.get(id);
      if (!r) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${id}' not found`);
      return r;
    };
    const model = (name: string) => {
      const m = state.models.get(name);
      if (!m) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
      return m;
    };
    switch (`${req.method} ${ep}`) {
      case 'GET experiments/get-by-name': {
        const e = [...state.experiments.values()].find((x) => x.name === q.get('experiment_name'));
        if (!e) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${q.get('experiment_name')}'`);
        return { experiment: { ...e, artifact_location: `mlflow-artifacts:/${e.experiment_id}`, tags: [] } };
      }
      case 'POST experiments/create': {
        if ([...state.experiments.values()].some((x) => x.name === body.name)) throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${body.name}' already exists.`);
        const id = String(nextExp++);
        state.experiments.set(id, { experiment_id: id, name: body.name, lifecycle_stage: 'active' });
        return { experiment_id: id };
      }
      case 'POST runs/create': {
        if (!state.experiments.has(body.experiment_id)) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', 'no such experiment');
        const id = randomUUID().replaceAll('-', '');
        const artifact_uri = o.artifactUri?.(body.experiment_id, id) ?? `mlflow-artifacts:/${body.experiment_id}/${id}/artifacts`;
        const r: Run = {
          info: { run_id: id, run_uuid: id, experiment_id: body.experiment_id, run_name: body.run_name ?? 'fake-run', status: 'RUNNING', start_time: body.start_time, artifact_uri, lifecycle_stage: 'active' },
          metrics: [], params: new Map(), tags: new Map((body.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value])),
        };
        state.runs.set(id, r);
        return { run: { info: r.info, data: {}, inputs: {} } };
      }
      case 'GET runs/get':
        return { run: { info: run(q.get('run_id') ?? '').info, data: {} } };
      case 'POST runs/log-batch': {
        const r = run(body.run_id);
        const [m, pa, t] = [body.metrics ?? [], body.params ?? [], body.tags ?? []];
        if (m.length > LIMITS.metrics || pa.length > LIMITS.params || t.length > LIMITS.tags || m.length + pa.length + t.length > LIMITS.total) {
          throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'A batch logging request can contain at most 1000 metrics, 100 params, 100 tags, 1000 total');
        }
        for (const p of pa) {
          const old = r.params.get(p.key);
          if (old !== undefined && old !== p.value) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Changing param values is not allowed. Param with key='${p.key}' was already logged`);
          r.params.set(p.key, p.value);
        }
        for (const x of t) r.tags.set(x.key, x.value);
        r.metrics.push(...m);
        return {};
      }
      case 'POST runs/update': {
        const r = run(body.run_id);
        r.info.status = body.status;
        r.info.end_time = body.end_time;
        return { run_info: r.info };
      }
      case 'POST registered-models/create':
        if (state.models.has(body.name)) throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${body.name}) already exists.`);
        state.models.set(body.name, { versions: [], aliases: new Map() });
        return { registered_model: { name: body.name, aliases: [] } };
      case 'POST model-versions/create': {
        const m = model(body.name);
        const version = String(m.versions.length + 1);
        m.versions.push({ version, source: body.source, run_id: body.run_id, tags: {} });
        return { model_version: { name: body.name, version, current_stage: 'None', source: body.source, run_id: body.run_id, status: 'READY', aliases: [] } };
      }
      case 'POST registered-models/alias': {
        const m = model(body.name);
        if (!m.versions.some((v) => v.version === body.version)) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', 'no such version');
        m.aliases.set(body.alias, body.version);
        return {};
      }
      case 'POST model-versions/set-tag': {
        const v = model(body.name).versions.find((x) => x.version === body.version);
        if (!v) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', 'no such version');
        v.tags[body.key] = body.value;
        return {};
      }
      default:
        throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `${req.method} ${p} is not implemented by the fake`);
    }
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const raw = await readBody(req);
      state.requests.push({ method: req.method ?? '', path: url.pathname + url.search, body: req.headers['content-type'] === 'application/json' ? JSON.parse(raw.toString() || 'null') : raw.length });
      try {
        const out = await handle(req, url, raw);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(500, 'INTERNAL_ERROR', String(err));
        res.writeHead(e.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: e.code, message: e.message }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...state,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
