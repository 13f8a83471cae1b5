import { z } from 'zod';
import type { Prediction } from '../training/predict.js';
import { badRequest } from './errors.js';

/** Open Inference Protocol (KServe V2) request/response shapes, and their validation. */
export const MODEL_NAME = 'pneumonia';
export const MAX_BATCH = 16;
export const OUTPUT_NAMES = ['probabilities', 'label'] as const;

const tensorSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.string(),
  data: z.unknown(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const inferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  inputs: z.array(tensorSchema).min(1),
  outputs: z.array(z.object({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() })).optional(),
});
export type InferRequest = z.infer<typeof inferRequestSchema>;

export type ParsedInput =
  | { kind: 'tensor'; batch: number; data: Float32Array }
  | { kind: 'images'; images: Buffer[] };

export function parseInferRequest(body: unknown): InferRequest {
  const parsed = inferRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest('invalid_request', `invalid inference request: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'malformed'}`);
  }
  if (parsed.data.inputs.length !== 1) throw badRequest('invalid_request', `expected exactly one input tensor, got ${parsed.data.inputs.length}`);
  for (const o of parsed.data.outputs ?? []) {
    if (!(OUTPUT_NAMES as readonly string[]).includes(o.name)) throw badRequest('unknown_output', `unknown output "${o.name}" (outputs: ${OUTPUT_NAMES.join(', ')})`);
  }
  return parsed.data;
}

/**
 * FP32 input: NHWC [N, S, S, 3], already preprocessed exactly like training (ImageNet mean/std),
 * S = the model's input size. BYTES input: [N] (or [N, 1]) base64 strings, each an encoded JPEG or PNG.
 */
export function decodeInput(req: InferRequest, inputSize: number): ParsedInput {
  const input = req.inputs[0]!;
  const shape = input.shape;
  const batch = shape[0] ?? 0;
  if (batch < 1 || batch > MAX_BATCH) throw badRequest('invalid_shape', `batch size (shape[0]) must be 1..${MAX_BATCH}, got ${shape[0] ?? 'none'}`);
  switch (input.datatype) {
    case 'FP32': {
      const want = [batch, inputSize, inputSize, 3];
      if (shape.length !== 4 || shape.some((d, i) => d !== want[i])) {
        throw badRequest('invalid_shape', `FP32 input must have shape [N, ${inputSize}, ${inputSize}, 3] (NHWC, preprocessed), got [${shape.join(', ')}]`);
      }
      const expected = batch * inputSize * inputSize * 3;
      const flat = flatten(input.data, expected);
      if (flat.length !== expected) throw badRequest('invalid_data', `FP32 data has ${flat.length} values; shape [${shape.join(', ')}] needs ${expected}`);
      const data = new Float32Array(expected);
      for (let i = 0; i < expected; i++) {
        const v = flat[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest('invalid_data', `FP32 data[${i}] is not a finite number`);
        data[i] = v;
      }
      return { kind: 'tensor', batch, data };
    }
    case 'BYTES': {
      if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
        throw badRequest('invalid_shape', `BYTES input must have shape [N] or [N, 1], got [${shape.join(', ')}]`);
      }
      const flat = flatten(input.data, batch);
      if (flat.length !== batch) throw badRequest('invalid_data', `BYTES data has ${flat.length} elements; shape needs ${batch}`);
      return { kind: 'images', images: flat.map((v, i) => decodeBytesElement(v, i)) };
    }
    default:
      throw badRequest('unsupported_datatype', `input datatype ${input.datatype} is not supported (use FP32 or BYTES)`);
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBytesElement(v: unknown, i: number): Buffer {
  // TF Serving's {"b64": "..."} wrapper is accepted too, since clients port between the two.
  const text = typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { b64?: unknown }).b64 === 'string' ? (v as { b64: string }).b64 : null;
  if (text === null) throw badRequest('invalid_data', `BYTES data[${i}] must be a base64 string`);
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw badRequest('invalid_data', `BYTES data[${i}] is not base64 (send the encoded JPEG/PNG file as base64)`);
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

/** Row-major flatten of flat or nested JSON arrays; stops early past `limit` (caller reports the count). */
function flatten(data: unknown, limit: number): unknown[] {
  if (!Array.isArray(data)) throw badRequest('invalid_data', 'input data must be an array');
  const out: unknown[] = [];
  const stack: unknown[][] = [data];
  const index: number[] = [0];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const i = index[index.length - 1]!;
    if (i >= top.length) {
      stack.pop();
      index.pop();
      continue;
    }
    index[index.length - 1] = i + 1;
    const v = top[i];
    if (Array.isArray(v)) {
      stack.push(v);
      index.push(0);
    } else {
      out.push(v);
      if (out.length > limit) return out;
    }
  }
  return out;
}

export interface InferResponse {
  model_name: string;
  model_version?: string;
  id: string;
  outputs: { name: string; shape: number[]; datatype: string; data: (number | string)[] }[];
}

export function inferResponse(req: InferRequest, predictions: Prediction[], version: number | null, id: string): InferResponse {
  const wanted = new Set((req.outputs ?? []).map((o) => o.name));
  const all = [
    { name: 'probabilities', shape: [predictions.length, 2], datatype: 'FP32', data: predictions.flatMap((p) => [p.probabilities.NORMAL, p.probabilities.PNEUMONIA]) },
    { name: 'label', shape: [predictions.length], datatype: 'BYTES', data: predictions.map((p) => p.label) },
  ];
  return {
    model_name: MODEL_NAME,
    ...(version === null ? {} : { model_version: String(version) }),
    id,
    outputs: wanted.size === 0 ? all : all.filter((o) => wanted.has(o.name)),
  };
}
