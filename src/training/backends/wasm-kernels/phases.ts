/**
 * One axis of a strided convolution's input gradient, restricted to the sub-pixel phase p: input
 * positions p, p + s, p + 2s, ... Along that axis, forward was y[o] = sum_i x[o*s + i - padStart]
 * * w[i], so x[s*a + p] receives dy[o] * w[i] exactly when o*s + i = s*a + p + padStart: only the
 * taps i = s*k + offset with offset = (p + padStart) mod s, and o = a + lag - k. Reversing k makes
 * that a plain stride-1 correlation of dy (padded by padBefore/padAfter, negative = cropped) with
 * `taps` filter taps, producing outLen values.
 */
export interface AxisPhase {
  offset: number;
  taps: number;
  padBefore: number;
  padAfter: number;
  outLen: number;
}

export function axisPhase(p: number, s: number, filterSize: number, padStart: number, inSize: number, dySize: number): AxisPhase {
  const offset = (p + padStart) % s;
  const taps = offset < filterSize ? Math.ceil((filterSize - offset) / s) : 0;
  const lag = (p + padStart - offset) / s;
  const outLen = Math.max(0, Math.ceil((inSize - p) / s));
  const padBefore = taps - 1 - lag;
  const padAfter = outLen + taps - 1 - dySize - padBefore;
  return { offset, taps, padBefore, padAfter, outLen };
}
