import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ModelNotReadyError, ServeError } from '../errors.js';
import type { InferenceService } from '../inference.js';
import { decodeInput, inferResponse, MAX_BATCH, MODEL_NAME, parseInferRequest } from '../kserve.js';
import type { ModelHolder } from '../model-holder.js';
import type { ServedModel } from '../model.js';
import type { Reloader } from '../reloader.js';

interface Deps {
  service: InferenceService;
  holder: ModelHolder<ServedModel>;
  reloader: Reloader;
  serverVersion: string;
  inferBodyLimit: number;
}

interface ModelParams {
  model: string;
  version?: string;
}
type ModelRequest = FastifyRequest<{ Params: ModelParams }>;

/** The Open Inference Protocol (KServe V2) REST subset: health, metadata, infer. */
export function v2Routes(d: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    /** The served model if `model`/`version` name it, else 404 (or 503 while nothing is loaded). */
    const resolve = (p: ModelParams): ServedModel => {
      if (p.model !== MODEL_NAME) throw new ServeError(404, 'model_not_found', `unknown model "${p.model}" (this server serves "${MODEL_NAME}")`);
      const current = d.holder.current;
      if (!current) throw new ModelNotReadyError();
      if (p.version !== undefined && p.version !== String(current.ref.version)) {
        throw new ServeError(404, 'model_version_not_found', `version ${p.version} of "${MODEL_NAME}" is not loaded (serving ${current.ref.version ?? 'a model folder'})`);
      }
      return current;
    };

    app.get('/v2/health/live', async () => ({ live: true }));

    app.get('/v2/health/ready', async (_req, reply) => {
      const current = d.holder.current;
      const body = {
        ready: current !== null,
        model_version: current?.ref.version ?? null,
        loading: d.reloader.loading,
        last_reload_error: d.reloader.lastFailure,
      };
      return reply.status(current ? 200 : 503).send(body);
    });

    app.get('/v2', async () => ({ name: 'dagctl-serve', version: d.serverVersion, extensions: [] }));

    const metadata = async (req: ModelRequest) => {
      const m = resolve(req.params);
      const s = m.inputSize;
      return {
        name: MODEL_NAME,
        versions: m.ref.version === null ? [] : [String(m.ref.version)],
        platform: 'tfjs_layers',
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [-1, s, s, 3], parameters: { layout: 'NHWC', preprocessing: m.loaded.metadata.preprocessing } },
          { name: 'image', datatype: 'BYTES', shape: [-1], parameters: { content: 'base64-encoded JPEG or PNG file' } },
        ],
        outputs: [
          { name: 'probabilities', datatype: 'FP32', shape: [-1, 2], parameters: { class_names: m.loaded.metadata.class_names } },
          { name: 'label', datatype: 'BYTES', shape: [-1] },
        ],
        parameters: { max_batch_size: MAX_BATCH, promoted_at: m.ref.promotedAt, loaded_at: m.loadedAt },
      };
    };
    app.get<{ Params: ModelParams }>('/v2/models/:model', metadata);
    app.get<{ Params: ModelParams }>('/v2/models/:model/versions/:version', metadata);

    const ready = async (req: ModelRequest, reply: FastifyReply) => {
      try {
        resolve(req.params);
        return reply.status(200).send({ name: MODEL_NAME, ready: true });
      } catch (err) {
        if (err instanceof ModelNotReadyError) return reply.status(503).send({ name: MODEL_NAME, ready: false });
        throw err;
      }
    };
    app.get<{ Params: ModelParams }>('/v2/models/:model/ready', ready);
    app.get<{ Params: ModelParams }>('/v2/models/:model/versions/:version/ready', ready);

    const infer = async (req: ModelRequest) => {
      const served = resolve(req.params);
      const request = parseInferRequest(req.body);
      const input = decodeInput(request, served.inputSize);
      const answer =
        input.kind === 'tensor' ? await d.service.predictTensor(input.data, input.batch, 'v2_fp32') : await d.service.predictImages(input.images, { kind: 'v2_bytes' });
      return inferResponse(request, answer.predictions, answer.model.ref.version, request.id ?? randomUUID());
    };
    app.post<{ Params: ModelParams }>('/v2/models/:model/infer', { bodyLimit: d.inferBodyLimit }, infer);
    app.post<{ Params: ModelParams }>('/v2/models/:model/versions/:version/infer', { bodyLimit: d.inferBodyLimit }, infer);
  };
}
