import { backend_util, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { as4d, padZeros, release, reshape, runWasmKernel } from './compose.js';

/**
 * dx is the full correlation of dy, with (stride - 1) zeros inserted between its pixels, and the
 * filter rotated 180 degrees with its in/out channels swapped. We run that as one XNNPACK Conv2D
 * (explicit asymmetric padding, stride 1) instead of the wasm backend's shipped kernel, a naive
 * C++ loop that is about 2.3x slower per ResNet training step.
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
  const { inHeight, inWidth, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw, padInfo } = info;

  let dilated = insertZeros(backend, dy, sh, sw);
  // Padding of the stride-1 correlation so that its output is exactly [inHeight, inWidth]. The
  // dilated dy carries (stride - 1) trailing zero rows/cols; when the far padding would be
  // negative those are the ones cut off.
  const top = fh - 1 - padInfo.top;
  const left = fw - 1 - padInfo.left;
  let bottom = inHeight + fh - 1 - top - (dilated.shape[1] as number);
  let right = inWidth + fw - 1 - left - (dilated.shape[2] as number);
  if (bottom < 0 || right < 0) {
    const [n, h, w, c] = as4d(dilated.shape);
    const cropped = runWasmKernel(
      'Slice',
      backend,
      { x: dilated },
      { begin: [0, 0, 0, 0], size: [n, h + Math.min(0, bottom), w + Math.min(0, right), c] },
    );
    release(backend, dilated);
    dilated = cropped;
    bottom = Math.max(0, bottom);
    right = Math.max(0, right);
  }

  const flipped = rotateAndSwapChannels(backend, filter);
  try {
    return runWasmKernel(
      'Conv2D',
      backend,
      { x: dilated, filter: flipped },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [1, 1],
        dimRoundingMode: undefined,
      } as unknown as NamedAttrMap,
    );
  } finally {
    // Disposing the flipped filter also frees the XNNPACK operator cached on its id.
    release(backend, dilated, flipped);
  }
}

/**
 * [fh,fw,Cin,Cout] -> [fh,fw,Cout,Cin] rotated 180 degrees. Rotating both spatial axes reverses
 * the order of the fh*fw taps, so after one Transpose we copy whole tap blocks in reverse order;
 * wasm's Reverse kernel is a per-element loop that took longer than the convolution itself.
 */
function rotateAndSwapChannels(backend: KernelBackend, filter: TensorInfo): TensorInfo {
  const [fh, fw, inChannels, outChannels] = as4d(filter.shape);
  const swapped = runWasmKernel('Transpose', backend, { x: filter }, { perm: [0, 1, 3, 2] });
  if (fh * fw === 1) return swapped;
  const wasm = backend as unknown as BackendWasm;
  const out = wasm.makeOutput([fh, fw, outChannels, inChannels], 'float32');
  // Views after both allocations: growing the wasm heap detaches earlier views.
  const src = wasm.typedArrayFromHeap(swapped);
  const dst = wasm.typedArrayFromHeap(out);
  const block = inChannels * outChannels;
  const taps = fh * fw;
  for (let k = 0; k < taps; k++) dst.set(src.subarray((taps - 1 - k) * block, (taps - k) * block), k * block);
  release(backend, swapped);
  return out;
}

/** [N,H,W,C] -> [N, H*sh, W*sw, C] with the input at every (sh, sw)-th position, zeros elsewhere. */
function insertZeros(backend: KernelBackend, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, h, w, c] = as4d(dy.shape);
  if (sh === 1 && sw === 1) return reshape(backend, dy, dy.shape);
  const cols = reshape(backend, dy, [n * h, w, 1, c]);
  const colsPadded = padZeros(backend, cols, [
    [0, 0],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  release(backend, cols);
  const rows = reshape(backend, colsPadded, [n, h, 1, w * sw * c]);
  release(backend, colsPadded);
  const rowsPadded = padZeros(backend, rows, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
  ]);
  release(backend, rows);
  const out = reshape(backend, rowsPadded, [n, h * sh, w * sw, c]);
  release(backend, rowsPadded);
  return out;
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInputWasm as unknown as KernelConfig['kernelFunc'],
};
