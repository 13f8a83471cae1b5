import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs,
  KernelBackend,
  KernelConfig,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { as4d, padZeros, release, reshape, runWasmKernel } from './compose.js';

/**
 * dW[i,j,ci,co] = sum over n,ho,wo of xPadded[n, ho*sh+i, wo*sw+j, ci] * dy[n,ho,wo,co].
 * The wasm backend (4.22) ships no kernel for this, so training any conv net fails on its first
 * backward pass. We compose it from kernels it has:
 *  - a Transpose puts x as [Cin, N, H, W] and, for strided convs, two more split rows and columns
 *    into their stride phases ([sw*sh, Cin*N, H/sh, W/sw]), so that every filter tap reads a plain
 *    rectangular Slice of one phase (wasm's StridedSlice, and its Transpose above rank 4, are
 *    slow per-element loops: 50x and 100x slower here);
 *  - per tap (or per few taps, stacked, when Cin is small), that slice ([Cin, M], M = N*Ho*Wo)
 *    times dy ([M, Cout]) on XNNPACK's fully-connected path. That path needs both operands
 *    untransposed with batch 1, hence x is transposed rather than asking BatchMatMul for
 *    transposeA (a naive C++ loop). XNNPACK caches the packed right-hand operand by tensor id
 *    (freed when the tensor is), so dy is packed once for all taps.
 */
export function conv2dBackpropFilterWasm(args: {
  inputs: { x?: TensorInfo; dy?: TensorInfo };
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs;
  if (x === undefined || dy === undefined) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
  const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = backend_util.computeConv2DInfo(
    as4d(x.shape),
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`wasm Conv2DBackpropFilter supports NHWC only (got ${attrs.dataFormat})`);
  }
  const { batchSize, inChannels, outHeight, outWidth, outChannels, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const rows = batchSize * outHeight * outWidth;

  const phases = stridePhases(backend, x, info);
  const dy2d = reshape(backend, dy, [1, rows, outChannels]);
  const taps = fh * fw;
  const group = tapsPerMatmul(inChannels, rows, taps);
  const products: TensorInfo[] = [];
  try {
    for (let first = 0; first < taps; first += group) {
      const slices: TensorInfo[] = [];
      for (let t = first; t < Math.min(taps, first + group); t++) {
        const i = Math.floor(t / fw);
        const j = t % fw;
        const slice = runWasmKernel(
          'Slice',
          backend,
          { x: phases },
          {
            begin: [(j % sw) * sh + (i % sh), 0, Math.floor(i / sh), Math.floor(j / sw)],
            size: [1, inChannels * batchSize, outHeight, outWidth],
          },
        );
        slices.push(reshape(backend, slice, [1, inChannels, rows]));
        release(backend, slice);
      }
      const a = concat(backend, slices, 1);
      release(backend, ...slices);
      products.push(runWasmKernel('BatchMatMul', backend, { a, b: dy2d }, { transposeA: false, transposeB: false }));
      release(backend, a);
    }
    const stacked = concat(backend, products, 1);
    const out = reshape(backend, stacked, [fh, fw, inChannels, outChannels]);
    release(backend, stacked);
    return out;
  } finally {
    release(backend, phases, dy2d, ...products);
  }
}

/**
 * Taps whose slices share one matmul. XNNPACK's GEMM is slow with few left-hand rows (conv1 has
 * Cin = 3), so small-Cin taps are stacked up to 64 rows, within 64 MB of stacked input.
 */
function tapsPerMatmul(inChannels: number, rows: number, taps: number): number {
  const byRows = Math.floor(64 / inChannels);
  const byMemory = Math.floor((64 * 2 ** 20) / 4 / (inChannels * rows));
  return Math.max(1, Math.min(taps, byRows, byMemory));
}

function concat(backend: KernelBackend, parts: TensorInfo[], axis: number): TensorInfo {
  if (parts.length === 1) return reshape(backend, parts[0] as TensorInfo, (parts[0] as TensorInfo).shape);
  // Concat takes its inputs as an array, unlike most kernels.
  return runWasmKernel('Concat', backend, parts as unknown as Record<string, TensorInfo>, { axis });
}

/**
 * x [N,H,W,Cin] -> [sw*sh, Cin*N, Hp/sh, Wp/sw], zero padded: phase (c % sw) * sh + (r % sh)
 * holds padded rows r and columns c, so padded[r, c] = phases[phase, :, r / sh, c / sw].
 */
function stridePhases(backend: KernelBackend, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  // Rows a tap reads: up to (outHeight-1)*sh + fh. "same" may pad more than that and "valid"
  // may leave trailing input unread; extra padded rows are harmless, and we round up to whole
  // stride phases.
  const paddedH = Math.ceil(Math.max((outHeight - 1) * sh + fh, padInfo.top + inHeight) / sh) * sh;
  const paddedW = Math.ceil(Math.max((outWidth - 1) * sw + fw, padInfo.left + inWidth) / sw) * sw;
  const planes = inChannels * batchSize;
  const xT = runWasmKernel('Transpose', backend, { x }, { perm: [3, 0, 1, 2] });
  let current = padZeros(backend, xT, [
    [0, 0],
    [0, 0],
    [padInfo.top, paddedH - padInfo.top - inHeight],
    [padInfo.left, paddedW - padInfo.left - inWidth],
  ]);
  release(backend, xT);
  const step = (shape: number[], perm: number[]) => {
    const split = reshape(backend, current, shape);
    release(backend, current);
    current = runWasmKernel('Transpose', backend, { x: split }, { perm });
    release(backend, split);
  };
  // Row phases: [planes, Hp/sh, sh, Wp] -> [sh, planes, Hp/sh, Wp].
  if (sh > 1) step([planes, paddedH / sh, sh, paddedW], [2, 0, 1, 3]);
  // Column phases: [sh*planes*Hp/sh, Wp/sw, sw] -> [sw, sh*planes*Hp/sh, Wp/sw].
  if (sw > 1) step([planes * paddedH, paddedW / sw, sw], [2, 0, 1]);
  const out = reshape(backend, current, [sw * sh, planes, paddedH / sh, paddedW / sw]);
  release(backend, current);
  return out;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm as unknown as KernelConfig['kernelFunc'],
};
