import type { TrainParams } from '../params/index.js';
import type { Rng } from './rng.js';

/**
 * Light geometric augmentation on one preprocessed HWC image: a random rotation (+-rotation_deg), shift
 * (+-shift of the side) and zoom (1 +- zoom), bilinear, edges clamped; optional horizontal flip (off by
 * default: chest X-rays are not mirror-symmetric). Works on Float32Array so it runs the same on every backend.
 */
export function augmentImage(img: Float32Array, size: number, p: TrainParams['augment'], rng: Rng): Float32Array {
  const angle = ((rng() * 2 - 1) * p.rotation_deg * Math.PI) / 180;
  const scale = 1 + (rng() * 2 - 1) * p.zoom;
  const tx = (rng() * 2 - 1) * p.shift * size;
  const ty = (rng() * 2 - 1) * p.shift * size;
  const flip = p.horizontal_flip && rng() < 0.5;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const c = (size - 1) / 2;
  const out = new Float32Array(img.length);
  const clamp = (v: number) => (v < 0 ? 0 : v > size - 1 ? size - 1 : v);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Inverse map: where in the source does output pixel (x, y) come from.
      const dx = (flip ? size - 1 - x : x) - c - tx;
      const dy = y - c - ty;
      const sx = clamp(cos * dx + sin * dy + c);
      const sy = clamp(-sin * dx + cos * dy + c);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, size - 1);
      const y1 = Math.min(y0 + 1, size - 1);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < 3; ch++) {
        const at = (yy: number, xx: number) => img[(yy * size + xx) * 3 + ch] as number;
        const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        const bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        out[(y * size + x) * 3 + ch] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}
