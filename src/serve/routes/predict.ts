import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { modelThreshold } from '../../training/model-io.js';
import { badRequest } from '../errors.js';
import type { Explanation } from '../explain.js';
import type { InferenceService } from '../inference.js';

export interface PredictResponse {
  label: 'NORMAL' | 'PNEUMONIA';
  probability: number;
  probabilities: { NORMAL: number; PNEUMONIA: number };
  /** The model's calibrated decision threshold: PNEUMONIA when probabilities.PNEUMONIA >= threshold. */
  threshold: number;
  model_version: number | null;
  model_promoted_at: string | null;
  latency_ms: number;
  inference_ms: number;
  /** With ?explain=1: a coarse class-activation grid (values 0..1) to overlay on the image. */
  explanation?: Explanation;
}

/**
 * POST /predict: a multipart upload (field `file`) or the raw image as the body. The content type
 * a client claims is not trusted: the bytes are sniffed, so everything that is not multipart is
 * read as an opaque buffer, capped at the upload limit.
 */
export function predictRoutes(service: InferenceService, o: { maxUploadBytes: number }) {
  return async (app: FastifyInstance): Promise<void> => {
    app.removeAllContentTypeParsers();
    await app.register(multipart, { limits: { fileSize: o.maxUploadBytes, files: 1, fields: 5, parts: 6 } });
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.maxUploadBytes }, (_req, body, done) => done(null, body));

    // No route bodyLimit: it would override the parser's. Multipart streams past Fastify's body
    // reader and is capped by the plugin's fileSize instead.
    app.post('/predict', async (request, reply) => {
      const image = await readImage(request);
      const explain = (request.query as { explain?: string }).explain;
      const answer = await service.predictImages([image], { explain: explain === '1' || explain === 'true' });
      const p = answer.predictions[0]!;
      const body: PredictResponse = {
        label: p.label,
        probability: p.probability,
        probabilities: p.probabilities,
        threshold: modelThreshold(answer.model.loaded.metadata),
        model_version: answer.model.ref.version,
        model_promoted_at: answer.model.ref.promotedAt,
        latency_ms: round(reply.elapsedTime),
        inference_ms: round(answer.inferenceMs),
        ...(answer.explanations?.[0] ? { explanation: answer.explanations[0] } : {}),
      };
      return body;
    });
  };
}

async function readImage(request: FastifyRequest): Promise<Buffer> {
  if (request.isMultipart()) {
    const part = await request.file();
    if (!part) throw badRequest('missing_file', 'the multipart form has no file; send the image in a field named "file"');
    return part.toBuffer();
  }
  const body = request.body;
  if (body === undefined || body === null) throw badRequest('empty_body', 'the request carried no image (empty body)');
  return Buffer.isBuffer(body) ? body : Buffer.from(String(body));
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
