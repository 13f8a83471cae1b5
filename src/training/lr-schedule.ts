import type { TrainParams } from '../params/index.js';

/**
 * The learning rate of optimizer step `step` (0-based) out of `total`: a linear warm-up over the first
 * `warmup` steps, then constant or a half-cosine towards 0, reached one step after the last (Loshchilov &
 * Hutter's SGDR without restarts, as torch's CosineAnnealingLR).
 */
export function learningRateAt(t: Pick<TrainParams, 'learning_rate' | 'lr_schedule'>, step: number, total: number, warmup: number): number {
  if (warmup > 0 && step < warmup) return (t.learning_rate * (step + 1)) / warmup;
  if (t.lr_schedule === 'constant') return t.learning_rate;
  const span = Math.max(1, total - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  return 0.5 * t.learning_rate * (1 + Math.cos(Math.PI * progress));
}
