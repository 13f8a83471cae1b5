import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** DVC 3 object hash: plain MD5 of the bytes (dvc-data hashfile/hash.py). */
export function md5Bytes(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const TEXT_PROBE = 512;

// dvc-objects istextfile.py: no NUL byte and at most 30% "binary" characters in the first 512 bytes.
export function looksLikeText(block: Uint8Array): boolean {
  const probe = block.subarray(0, TEXT_PROBE);
  if (probe.length === 0) return true;
  let nontext = 0;
  for (const b of probe) {
    if (b === 0) return false;
    const text = (b >= 0x20 && b <= 0x7e) || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x0c || b === 0x08;
    if (!text) nontext++;
  }
  return nontext / probe.length <= 0.3;
}

const LEGACY_CHUNK = 1024 * 1024;

/**
 * DVC 2.x `md5-dos2unix`: per 1 MiB chunk, text-looking chunks get CRLF -> LF before hashing.
 * Needed to verify and check out objects tracked by .dvc files without `hash: md5`.
 */
export async function legacyMd5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file, { highWaterMark: LEGACY_CHUNK })) {
    hash.update(dos2unixChunk(chunk as Buffer));
  }
  return hash.digest('hex');
}

export function legacyMd5Bytes(data: Uint8Array): string {
  const hash = createHash('md5');
  for (let i = 0; i < data.length || i === 0; i += LEGACY_CHUNK) {
    hash.update(dos2unixChunk(data.subarray(i, i + LEGACY_CHUNK)));
    if (data.length === 0) break;
  }
  return hash.digest('hex');
}

function dos2unixChunk(chunk: Uint8Array): Uint8Array {
  if (!looksLikeText(chunk)) return chunk;
  return Buffer.from(Buffer.from(chunk).toString('latin1').replaceAll('\r\n', '\n'), 'latin1');
}
