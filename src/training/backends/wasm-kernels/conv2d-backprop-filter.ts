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
 * backward pass. We compose it from kernels it has: transpose x once to [Cin,N,H,W] and pad it,
 * then per filter tap one strided slice ([Cin,N,Ho,Wo] == [Cin,M]) times dy ([M,Cout]) on
 * XNNPACK's fully-connected path. That path needs both operands untransposed with batch 1, which
 * is why x is transposed rather than asking BatchMatMul for transposeA (a naive C++ loop).
 * XNNPACK caches the packed right-hand operand by tensor id, so dy is packed once for all taps.
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
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw, padInfo } = info;
  const rows = batchSize * outHeight * outWidth;

  // Only the rows/cols that some tap reads: "same" padding may pad more than needed and "valid"
  // may leave trailing input unread, so derive the far-side padding from what is read.
  const spanH = (outHeight - 1) * sh + fh;
  const spanW = (outWidth - 1) * sw + fw;
  const bottom = Math.max(0, spanH - padInfo.top - inHeight);
  const right = Math.max(0, spanW - padInfo.left - inWidth);

  const xT = runWasmKernel('Transpose', backend, { x }, { perm: [3, 0, 1, 2] });
  const xPadded = padZeros(backend, xT, [
    [0, 0],
    [0, 0],
    [padInfo.top, bottom],
    [padInfo.left, right],
  ]);
  release(backend, xT);
  const dy2d = reshape(backend, dy, [1, rows, outChannels]);

  const taps: TensorInfo[] = [];
  try {
    for (let i = 0; i < fh; i++) {
      for (let j = 0; j < fw; j++) {
        const slice = runWasmKernel(
          'StridedSlice',
          backend,
          { x: xPadded },
          {
            begin: [0, 0, i, j],
            end: [inChannels, batchSize, i + (outHeight - 1) * sh + 1, j + (outWidth - 1) * sw + 1],
            strides: [1, 1, sh, sw],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        );
        const a = reshape(backend, slice, [1, inChannels, rows]);
        release(backend, slice);
        taps.push(runWasmKernel('BatchMatMul', backend, { a, b: dy2d }, { transposeA: false, transposeB: false }));
        release(backend, a);
      }
    }
    const stacked =
      taps.length === 1
        ? reshape(backend, taps[0] as TensorInfo, [1, inChannels, outChannels])
        : // Concat takes its inputs as an array, unlike most kernels.
          runWasmKernel('Concat', backend, taps as unknown as Record<string, TensorInfo>, { axis: 0 });
    const out = reshape(backend, stacked, [fh, fw, inChannels, outChannels]);
    release(backend, stacked);
    return out;
  } finally {
    release(backend, xPadded, dy2d, ...taps);
  }
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm as unknown as KernelConfig['kernelFunc'],
};
