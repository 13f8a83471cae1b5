import { ImageDecodeError } from '../training/errors.js';
import { probeImage, type ImageProbe } from '../training/preprocess.js';
import { ServeError } from './errors.js';

/** The formats the server accepts. Training reads more; uploads stay to the two X-ray exports in use. */
export const ACCEPTED_FORMATS = ['jpeg', 'png'] as const;

const SIGNATURES: { format: (typeof ACCEPTED_FORMATS)[number]; bytes: number[] }[] = [
  { format: 'jpeg', bytes: [0xff, 0xd8, 0xff] },
  { format: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
];

/** Maps the shared preprocessing's decode errors onto HTTP answers. */
export function httpErrorOf(err: unknown): unknown {
  if (!(err instanceof ImageDecodeError)) return err;
  switch (err.code) {
    case 'unsupported_format':
      return new ServeError(415, 'unsupported_format', err.message, { cause: err });
    case 'corrupt_image':
      // sharp refuses headers past its own pixel limit (16383 x 16383) before probeImage can compare
      // the size with ours; that is an absurd size, not a corrupt file.
      if (/exceeds pixel limit/i.test(String((err.cause as Error | undefined)?.message))) {
        return new ServeError(422, 'image_too_large', 'image dimensions exceed the pixel limit (refused from the header, not decoded)', { cause: err });
      }
      return new ServeError(422, 'corrupt_image', err.message, { cause: err });
    case 'too_large':
      return new ServeError(422, 'image_too_large', err.message, { cause: err });
    default: {
      const never: never = err.code;
      return new ServeError(422, 'bad_image', `image refused (${String(never)})`, { cause: err });
    }
  }
}

/**
 * Checks an upload before any decoding: not empty, a JPEG/PNG by its leading bytes (not by the
 * client's Content-Type), and a header whose dimensions are sane (sharp reads the header only).
 */
export async function checkImage(buf: Buffer | undefined | null): Promise<ImageProbe> {
  if (!buf || buf.length === 0) throw new ServeError(400, 'empty_body', 'the request carried no image (empty body)');
  const sniffed = SIGNATURES.find((s) => buf.length >= s.bytes.length && s.bytes.every((b, i) => buf[i] === b));
  if (!sniffed) {
    throw new ServeError(415, 'unsupported_format', `not a JPEG or PNG image (accepted: ${ACCEPTED_FORMATS.join(', ')})`);
  }
  try {
    return await probeImage(buf);
  } catch (err) {
    throw httpErrorOf(err);
  }
}
