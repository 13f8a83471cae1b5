import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Tile, util } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo, TileAttrs } from '@tensorflow/tfjs-core';

/**
 * The wasm backend's Tile is a per-element C++ loop (about 100 ns per element here). Batch norm's
 * gradient tiles per-channel vectors to whole activations, which made Tile 16% of a ResNet18
 * training step at 224x224. Tiling is block copies: along each axis the output holds the input's
 * d blocks followed by (reps - 1) copies of them, so we build the innermost rows with `set` and
 * replicate outward with `copyWithin` (memmove).
 */
export function tileWasm(args: { inputs: { x?: TensorInfo }; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { backend } = args;
  const { x } = args.inputs;
  if (x === undefined) throw new Error('Tile needs input x');
  const { reps } = args.attrs as unknown as TileAttrs;
  if (x.dtype === 'string') throw new Error('wasm Tile does not support string tensors');
  const wasm = backend as unknown as BackendWasm;
  const shape = x.shape.length === 0 ? [1] : x.shape;
  const outShape = x.shape.map((d, i) => d * (reps[i] ?? 1));
  const out = wasm.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  // Views after the allocation: growing the wasm heap detaches earlier views.
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  const rank = shape.length;
  const srcStrides = [...util.computeStrides(shape), 1];
  // Size of one output block below axis a (product of output dims after a).
  const outInner = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) outInner[a] = (outInner[a + 1] as number) * (shape[a + 1] as number) * (reps[a + 1] ?? 1);

  const fill = (axis: number, srcOffset: number, dstOffset: number): void => {
    const d = shape[axis] as number;
    const inner = outInner[axis] as number;
    if (axis === rank - 1) dst.set(src.subarray(srcOffset, srcOffset + d), dstOffset);
    else for (let i = 0; i < d; i++) fill(axis + 1, srcOffset + i * (srcStrides[axis] as number), dstOffset + i * inner);
    const chunk = d * inner;
    for (let k = 1; k < (reps[axis] ?? 1); k++) dst.copyWithin(dstOffset + k * chunk, dstOffset, dstOffset + chunk);
  };
  fill(0, 0, 0);
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileWasm as unknown as KernelConfig['kernelFunc'],
};
