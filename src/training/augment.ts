import type { TrainParams } from '../params/index.js';
import { IMAGENET_STD } from './preprocess.js';
import type { Rng } from './rng.js';

/**
 * Light augmentation on one preprocessed HWC image: a random rotation (+-rotation_deg), shift (+-shift of
 * the side) and zoom (1 +- zoom), bilinear, edges clamped; optional horizontal flip (off by default: chest
 * X-rays are not mirror-symmetric); then contrast (1 +- contrast) and brightness (+- brightness) jitter.
 * Works on Float32Array so it runs the same on every backend.
 */
export function augmentImage(img: Float32Array, size: number, p: TrainParams['augment'], rng: Rng): Float32Array {
  const angle = ((rng() * 2 - 1) * p.rotation_deg * Math.PI) / 180;
  const scale = 1 + (rng() * 2 - 1) * p.zoom;
  const tx = (rng() * 2 - 1) * p.shift * size;
  const ty = (rng() * 2 - 1) * p.shift * size;
  const flip = p.horizontal_flip && rng() < 0.5;
  // Drawn even when off, so enabling them never changes the geometry a seed gives.
  const contrast = 1 + (rng() * 2 - 1) * p.contrast;
  const brightness = (rng() * 2 - 1) * p.brightness;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const c = (size - 1) / 2;
  const max = size - 1;
  const out = new Float32Array(img.length);
  // Inverse map: output pixel (x, y) samples the source at (sx, sy), bilinear, edges clamped. This loop is hot
  // (it runs on the thread that drives training): no closures, one set of weights for all three channels.
  for (let y = 0; y < size; y++) {
    const dy = y - c - ty;
    for (let x = 0; x < size; x++) {
      const dx = (flip ? max - x : x) - c - tx;
      let sx = cos * dx + sin * dy + c;
      let sy = -sin * dx + cos * dy + c;
      sx = sx < 0 ? 0 : sx > max ? max : sx;
      sy = sy < 0 ? 0 : sy > max ? max : sy;
      const x0 = sx | 0;
      const y0 = sy | 0;
      const x1 = x0 < max ? x0 + 1 : max;
      const y1 = y0 < max ? y0 + 1 : max;
      const fx = sx - x0;
      const fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const i00 = (y0 * size + x0) * 3;
      const i01 = (y0 * size + x1) * 3;
      const i10 = (y1 * size + x0) * 3;
      const i11 = (y1 * size + x1) * 3;
      const o = (y * size + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        out[o + ch] = (img[i00 + ch] as number) * w00 + (img[i01 + ch] as number) * w01 + (img[i10 + ch] as number) * w10 + (img[i11 + ch] as number) * w11;
      }
    }
  }
  return contrast === 1 && brightness === 0 ? out : jitterIntensity(out, contrast, brightness);
}

/**
 * Contrast around the image's own mean, then a brightness offset (a fraction of the 0..1 pixel range), on the
 * ImageNet-normalised image: X-rays from another hospital or machine differ in exposure first of all.
 */
function jitterIntensity(img: Float32Array, contrast: number, brightness: number): Float32Array {
  for (let ch = 0; ch < 3; ch++) {
    let mean = 0;
    for (let i = ch; i < img.length; i += 3) mean += img[i] as number;
    mean /= img.length / 3;
    const shift = brightness / (IMAGENET_STD[ch] as number);
    for (let i = ch; i < img.length; i += 3) img[i] = ((img[i] as number) - mean) * contrast + mean + shift;
  }
  return img;
}
