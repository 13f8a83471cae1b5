import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ImageDecodeError } from './errors.js';

/** ImageNet statistics, as torchvision's pretrained ResNet18 expects them. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const SUPPORTED_FORMATS = ['jpeg', 'png', 'webp', 'tiff', 'gif'] as const;
export type ImageFormat = (typeof SUPPORTED_FORMATS)[number];
/** Larger inputs are refused before decoding (decompression bombs): 8192 x 8192. */
export const MAX_PIXELS = 8192 * 8192;

export interface ImageProbe {
  format: ImageFormat;
  width: number;
  height: number;
}

/** Reads the header only (no full decode): format and size, or an ImageDecodeError. */
export async function probeImage(buf: Buffer): Promise<ImageProbe> {
  let meta: Metadata;
  try {
    meta = await sharp(buf).metadata();
  } catch (cause) {
    throw new ImageDecodeError('corrupt_image', 'not a readable image', { cause });
  }
  const format = meta.format as string | undefined;
  if (!format || !(SUPPORTED_FORMATS as readonly string[]).includes(format)) {
    throw new ImageDecodeError('unsupported_format', `unsupported image format ${format ?? 'unknown'} (use ${SUPPORTED_FORMATS.join(', ')})`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw new ImageDecodeError('corrupt_image', 'image has no size');
  if (width * height > MAX_PIXELS) {
    throw new ImageDecodeError('too_large', `image is ${width}x${height}; at most ${MAX_PIXELS} pixels are accepted`);
  }
  return { format: format as ImageFormat, width, height };
}

/**
 * THE preprocessing shared by training, evaluation and serving: decode, squash to size x size (fill, no
 * letterbox: the data was squashed before it reached us), grayscale -> 3 identical channels, ImageNet mean/std.
 * Returns HWC float32 of length size*size*3. Corrupt or truncated input throws ImageDecodeError.
 */
export async function preprocessImage(buf: Buffer, size: number): Promise<Float32Array> {
  await probeImage(buf);
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(buf, { failOn: 'error' })
      .rotate() // honour EXIF orientation (phone photos of films)
      .removeAlpha()
      .resize(size, size, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new ImageDecodeError('corrupt_image', 'image could not be decoded (corrupt or truncated)', { cause });
  }
  return normalise(raw.data, raw.info.channels, size);
}

function normalise(pixels: Buffer, channels: number, size: number): Float32Array {
  const n = size * size;
  const out = new Float32Array(n * 3);
  const [m0, m1, m2] = IMAGENET_MEAN;
  const [s0, s1, s2] = IMAGENET_STD;
  for (let i = 0; i < n; i++) {
    const base = i * channels;
    const r = pixels[base] as number;
    // Grayscale (1 channel) is replicated; colour keeps its channels.
    const g = channels >= 3 ? (pixels[base + 1] as number) : r;
    const b = channels >= 3 ? (pixels[base + 2] as number) : r;
    out[i * 3] = (r / 255 - m0) / s0;
    out[i * 3 + 1] = (g / 255 - m1) / s1;
    out[i * 3 + 2] = (b / 255 - m2) / s2;
  }
  return out;
}
