// Checks response bodies against an OpenAPI 3.0 document the way a generated client does: every field's
// type, enum and nullability. Used with Airflow 2.10's own spec (shared/reference) and with the document
// this server serves at /api/v1/openapi.json. OpenAPI 3.0 schemas become JSON Schema for ajv: `nullable`
// admits null, `discriminator` (which ajv reads differently) is dropped.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

export const AIRFLOW_SPEC_FILE = path.resolve(import.meta.dirname, '../../../shared/reference/airflow-2.10-rest-api-v1.yaml');

type Schema = Record<string, unknown>;
interface OpenApiDoc {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>>;
  components?: { schemas?: Record<string, Schema> };
}

function toJsonSchema(s: unknown, docId: string): unknown {
  if (Array.isArray(s)) return s.map((x) => toJsonSchema(x, docId));
  if (s === null || typeof s !== 'object') return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s as Schema)) {
    if (k === 'discriminator' || k === 'example' || k === 'nullable') continue;
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#')) out.$ref = `${docId}${v}`;
    else out[k] = toJsonSchema(v, docId);
  }
  if ((s as Schema).nullable === true) {
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

export interface Checker {
  /** Errors of `body` against the response schema of `method template` for `status`; [] when it conforms. */
  errors(method: string, template: string, status: number, body: unknown): string[];
}

let nextId = 0;
export function openApiChecker(doc: OpenApiDoc): Checker {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  ajv.addFormat('datetime', true).addFormat('path', true);
  const id = `doc${nextId++}`;
  ajv.addSchema({ $id: id, components: toJsonSchema(doc.components ?? {}, id) } as Schema);
  const cache = new Map<string, ValidateFunction>();
  return {
    errors(method, template, status, body) {
      const key = `${method} ${template} ${status}`;
      let v = cache.get(key);
      if (!v) {
        const op = doc.paths[template]?.[method.toLowerCase()];
        if (!op) throw new Error(`the document has no ${method} ${template}`);
        const schema = op.responses?.[String(status)]?.content?.['application/json']?.schema ?? op.responses?.[String(status)]?.content?.['application/problem+json']?.schema;
        if (!schema) throw new Error(`the document has no JSON response ${status} for ${method} ${template}`);
        v = ajv.compile(toJsonSchema(schema, id) as Schema);
        cache.set(key, v);
      }
      return v(body) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    },
  };
}

/** Airflow 2.10's spec, with its error responses ($ref'd to components/responses) resolved. */
export function airflowChecker(): Checker {
  const doc = parse(readFileSync(AIRFLOW_SPEC_FILE, 'utf8')) as OpenApiDoc & { components: { responses: Record<string, unknown> } };
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops)) {
      const responses = (op as { responses?: Record<string, { $ref?: string }> }).responses;
      if (!responses) continue;
      for (const [code, r] of Object.entries(responses)) {
        if (r.$ref) responses[code] = doc.components.responses[r.$ref.split('/').at(-1)!] as { $ref?: string };
      }
    }
  }
  return openApiChecker(doc);
}
