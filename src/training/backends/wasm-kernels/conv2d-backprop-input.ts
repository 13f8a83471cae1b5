import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { as4d, padZeros, release, reshape, runWasmKernel } from './compose.js';
import { axisPhase } from './phases.js';
import { shippedWasmKernel } from './shipped.js';
import type { AxisPhase } from './phases.js';

/**
 * dx is the correlation of dy with the filter rotated 180 degrees, channels swapped. The wasm
 * backend ships this as a naive C++ loop; we run it on XNNPACK's Conv2D. For stride s we split dx
 * into its s*s sub-pixel phases: phase (p, q) (rows p, p+s, ..., columns q, q+s, ...) only meets
 * the filter taps congruent to it mod s, so each phase is one small stride-1 Conv2D over dy itself
 * and the phases together cost what the forward conv costs; correlating a zero-inserted dy with
 * the whole filter would cost s*s times that. The phases are then interleaved with two Concats.
 */
export function conv2dBackpropInputWasm(args: {
  inputs: { dy?: TensorInfo; filter?: TensorInfo };
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const { dy, filter } = inputs;
  if (dy === undefined || filter === undefined) throw new Error('Conv2DBackpropInput needs inputs dy and filter');
  const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    as4d(filter.shape),
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`wasm Conv2DBackpropInput supports NHWC only (got ${attrs.dataFormat})`);
  }
  const { inHeight, inWidth, outHeight, outWidth, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const rowPhases = Array.from({ length: sh }, (_, p) => axisPhase(p, sh, info.filterHeight, padInfo.top, inHeight, outHeight));
  const colPhases = Array.from({ length: sw }, (_, q) => axisPhase(q, sw, info.filterWidth, padInfo.left, inWidth, outWidth));

  // Filter as [fh, fw, Cout, Cin] once; each phase copies its taps out of it.
  const swapped = runWasmKernel('Transpose', backend, { x: filter }, { perm: [0, 1, 3, 2] });
  const phaseRows: TensorInfo[] = [];
  try {
    for (const rows of rowPhases) {
      const phases = colPhases.map((cols) => phaseGradient(backend, dy, swapped, rows, cols, info));
      phaseRows.push(interleave(backend, phases, 2));
      release(backend, ...phases);
    }
    const full = interleave(backend, phaseRows, 1);
    const [n, h, w, c] = as4d(full.shape);
    if (h === inHeight && w === inWidth) return full;
    const out = runWasmKernel('Slice', backend, { x: full }, { begin: [0, 0, 0, 0], size: [n, inHeight, inWidth, c] });
    release(backend, full);
    return out;
  } finally {
    release(backend, swapped, ...phaseRows);
  }
}

/** dx at rows p + s*a, columns q + s*b: [N, rows.outLen, cols.outLen, Cin], padded to phase 0's size. */
function phaseGradient(
  backend: KernelBackend,
  dy: TensorInfo,
  swapped: TensorInfo,
  rows: AxisPhase,
  cols: AxisPhase,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inChannels, outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const fullRows = Math.ceil(info.inHeight / sh);
  const fullCols = Math.ceil(info.inWidth / sw);
  if (rows.taps === 0 || cols.taps === 0 || rows.outLen === 0 || cols.outLen === 0) {
    // No filter tap reaches these pixels (e.g. odd rows of a 1x1 stride-2 conv): zero gradient.
    return runWasmKernel('Fill', backend, {}, { shape: [batchSize, fullRows, fullCols, inChannels], value: 0, dtype: 'float32' });
  }
  // Negative padding means dy rows that this phase never reads: cut them off instead.
  const cropTop = Math.max(0, -rows.padBefore);
  const cropLeft = Math.max(0, -cols.padBefore);
  const cropBottom = Math.max(0, -rows.padAfter);
  const cropRight = Math.max(0, -cols.padAfter);
  const input =
    cropTop + cropLeft + cropBottom + cropRight === 0
      ? reshape(backend, dy, dy.shape)
      : runWasmKernel('Slice', backend, { x: dy }, {
          begin: [0, cropTop, cropLeft, 0],
          size: [batchSize, outHeight - cropTop - cropBottom, outWidth - cropLeft - cropRight, info.outChannels],
        });
  const subFilter = phaseFilter(backend, swapped, rows, cols, info);
  try {
    const phase = runWasmKernel(
      'Conv2D',
      backend,
      { x: input, filter: subFilter },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [Math.max(0, rows.padBefore), Math.max(0, rows.padAfter)],
          [Math.max(0, cols.padBefore), Math.max(0, cols.padAfter)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [1, 1],
        dimRoundingMode: undefined,
      } as unknown as NamedAttrMap,
    );
    const padded = padZeros(backend, phase, [
      [0, 0],
      [0, fullRows - rows.outLen],
      [0, fullCols - cols.outLen],
      [0, 0],
    ]);
    release(backend, phase);
    return padded;
  } finally {
    // Disposing the sub-filter also frees the XNNPACK operator cached on its id.
    release(backend, input, subFilter);
  }
}

/**
 * The phase's taps of the [fh, fw, Cout, Cin] filter, rotated 180 degrees: output tap (k, l) is
 * input tap (s*(K-1-k) + c) on each axis. Whole [Cout, Cin] blocks are copied on the heap; wasm's
 * Reverse kernel is a per-element loop that took longer than the convolution itself.
 */
function phaseFilter(
  backend: KernelBackend,
  swapped: TensorInfo,
  rows: AxisPhase,
  cols: AxisPhase,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterWidth: fw, inChannels, outChannels, strideHeight: sh, strideWidth: sw } = info;
  const wasm = backend as unknown as BackendWasm;
  const out = wasm.makeOutput([rows.taps, cols.taps, outChannels, inChannels], 'float32');
  // Views after the allocation: growing the wasm heap detaches earlier views.
  const src = wasm.typedArrayFromHeap(swapped);
  const dst = wasm.typedArrayFromHeap(out);
  const block = inChannels * outChannels;
  for (let k = 0; k < rows.taps; k++) {
    const i = sh * (rows.taps - 1 - k) + rows.offset;
    for (let l = 0; l < cols.taps; l++) {
      const j = sw * (cols.taps - 1 - l) + cols.offset;
      const from = (i * fw + j) * block;
      dst.set(src.subarray(from, from + block), (k * cols.taps + l) * block);
    }
  }
  return out;
}

/**
 * Interleaves equally shaped phases along `axis` (2: columns, within one row phase; 1: rows):
 * stacking them on a new axis right after it and merging the two puts phase k at positions
 * k, k + s, ... Concat (plain row copies) instead of a rank-6 Transpose, which wasm runs slowly.
 */
function interleave(backend: KernelBackend, phases: TensorInfo[], axis: 1 | 2): TensorInfo {
  const [n, h, w, c] = as4d((phases[0] as TensorInfo).shape);
  const s = phases.length;
  if (s === 1) return reshape(backend, phases[0] as TensorInfo, [n, h, w, c]);
  // axis 2: [N*H, W, 1, C] pieces -> [N*H, W, s, C];  axis 1: [N, H, 1, W*C] -> [N, H, s, W*C].
  const pieceShape = axis === 2 ? [n * h, w, 1, c] : [n, h, 1, w * c];
  const pieces = phases.map((p) => reshape(backend, p, pieceShape));
  const stacked = runWasmKernel('Concat', backend, pieces as unknown as Record<string, TensorInfo>, { axis: 2 });
  release(backend, ...pieces);
  const out = reshape(backend, stacked, axis === 2 ? [n, h, w * s, c] : [n, h * s, w, c]);
  release(backend, stacked);
  return out;
}

/**
 * Below this many dx pixels (N*H*W) the shipped loop wins: ours pays a fixed cost per call for
 * packing the (fresh) filter into an XNNPACK operator, about 20 ns per weight, which is all that
 * matters for e.g. layer4 (3x3x512x512) on a 2x2 map; at 7x7 and batch 2 ours is 3x faster.
 */
const SHIPPED_BELOW_PIXELS = 48;

function conv2dBackpropInputDispatch(args: Parameters<typeof conv2dBackpropInputWasm>[0]): TensorInfo {
  const [n, h, w] = (args.attrs as unknown as Conv2DBackpropInputAttrs).inputShape;
  const shipped = shippedWasmKernel(Conv2DBackpropInput);
  if (shipped !== undefined && n * h * w < SHIPPED_BELOW_PIXELS) {
    return shipped.kernelFunc(args as unknown as Parameters<KernelConfig['kernelFunc']>[0]) as TensorInfo;
  }
  return conv2dBackpropInputWasm(args);
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInputDispatch as unknown as KernelConfig['kernelFunc'],
};
