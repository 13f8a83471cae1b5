import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { replaceFolder } from './artifacts.js';
import { METADATA_JSON, MODEL_JSON, WEIGHTS_BIN } from './model-io.js';

/**
 * IEEE 754 binary16 bits of a float32, rounded to nearest even; overflow -> +-Infinity, tiny -> subnormal/0.
 * (Node 20 has no Float16Array; TF.js decodes these with its own float16 tables.)
 */
export function float16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rounded = (mant + half - 1 + ((mant >>> shift) & 1)) >>> shift;
    return sign | rounded;
  }
  const rounded = mant + 0xfff + ((mant >>> 13) & 1);
  if (rounded & 0x800000) return e + 1 >= 0x1f ? sign | 0x7c00 : sign | ((e + 1) << 10);
  return sign | (e << 10) | (rounded >>> 13);
}

/**
 * Rewrites a model folder's weights as float16 (TF.js's `quantization: {dtype: 'float16'}`, which every
 * loader dequantises to float32): half the size, ~3 significant digits per weight. Other files are untouched.
 */
export async function quantizeFloat16(dir: string): Promise<{ before: number; after: number }> {
  const json = JSON.parse(await readFile(path.join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
  const groups = json.weightsManifest ?? [];
  const shards = await Promise.all(groups.flatMap((g) => g.paths.map((p) => readFile(path.join(dir, p)))));
  const bin = Buffer.concat(shards);
  const specs = groups.flatMap((g) => g.weights);
  const out: Buffer[] = [];
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    if (spec.quantization) throw new Error(`${spec.name} is already quantised (${spec.quantization.dtype})`);
    const bytes = n * 4;
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new Error(`${spec.name}: cannot convert dtype ${spec.dtype}`);
    if (spec.dtype === 'int32') {
      out.push(bin.subarray(offset, offset + bytes));
    } else {
      const src = new Float32Array(bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + bytes));
      const half = new Uint16Array(n);
      for (let i = 0; i < n; i++) half[i] = float16Bits(src[i] as number);
      out.push(Buffer.from(half.buffer));
      spec.quantization = { dtype: 'float16' };
    }
    offset += bytes;
  }
  if (offset !== bin.length) throw new Error(`the weights hold ${bin.length} bytes, the manifest ${offset}`);
  const data = Buffer.concat(out);
  await writeFile(path.join(dir, WEIGHTS_BIN), data);
  json.weightsManifest = [{ paths: [WEIGHTS_BIN], weights: specs }];
  await writeFile(path.join(dir, MODEL_JSON), JSON.stringify(json));
  // Say so next to the metrics, which were measured with the float32 weights (evaluate again to re-measure).
  const metaFile = path.join(dir, METADATA_JSON);
  const meta = JSON.parse(await readFile(metaFile, 'utf8').catch(() => 'null')) as Record<string, unknown> | null;
  if (meta) await writeFile(metaFile, `${JSON.stringify({ ...meta, weights_dtype: 'float16' }, null, 2)}\n`);
  return { before: bin.length, after: data.length };
}

/** A float16 copy of the model folder `from`, written atomically into `out` (see replaceFolder). */
export async function writeFloat16Copy(from: string, out: string): Promise<{ before: number; after: number }> {
  let sizes = { before: 0, after: 0 };
  await replaceFolder(out, async (tmp) => {
    await cp(from, tmp, { recursive: true });
    sizes = await quantizeFloat16(tmp);
  });
  return sizes;
}
