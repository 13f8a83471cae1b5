import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/training/backends/index.js';
import { conv2dBackpropInputWasm } from '../../../src/training/backends/wasm-kernels/index.js';
import { relativeError, runOn, values } from './compare.js';
import type { DirectKernel, KernelCall } from './compare.js';

interface Case {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number | [number, number];
  pad: 'same' | 'valid';
}

// Every combination of the axes the issue names, on odd and even sizes, batch 1 and > 1.
const CASES: Case[] = [];
for (const kernel of [1, 3, 7]) {
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const [batch, height, width] of [
        [1, 9, 9],
        [2, 8, 11],
        [3, 7, 10],
      ] as const) {
        CASES.push({ batch, height, width, inChannels: 3, outChannels: 5, kernel, stride, pad });
      }
    }
  }
}
// Edges: stride 3, unequal strides, inputs smaller than the filter, a 1x1 output.
CASES.push({ batch: 2, height: 7, width: 8, inChannels: 3, outChannels: 4, kernel: 3, stride: 3, pad: 'same' });
CASES.push({ batch: 1, height: 7, width: 8, inChannels: 3, outChannels: 4, kernel: 3, stride: [2, 1], pad: 'valid' });
CASES.push({ batch: 1, height: 9, width: 6, inChannels: 2, outChannels: 3, kernel: 7, stride: [1, 2], pad: 'same' });
CASES.push({ batch: 2, height: 2, width: 3, inChannels: 2, outChannels: 3, kernel: 3, stride: 2, pad: 'same' });
CASES.push({ batch: 2, height: 3, width: 3, inChannels: 2, outChannels: 3, kernel: 3, stride: 2, pad: 'valid' });
// Wider channels, as in ResNet's later stages.
CASES.push({ batch: 2, height: 6, width: 6, inChannels: 16, outChannels: 24, kernel: 3, stride: 2, pad: 'same' });
CASES.push({ batch: 2, height: 6, width: 6, inChannels: 16, outChannels: 24, kernel: 1, stride: 2, pad: 'valid' });

const name = (c: Case) => `${c.kernel}x${c.kernel}/${String(c.stride)} ${c.pad} x=[${c.batch},${c.height},${c.width},${c.inChannels}] cout=${c.outChannels}`;

function calls(c: Case): KernelCall[] {
  const xShape = [c.batch, c.height, c.width, c.inChannels];
  const filterShape = [c.kernel, c.kernel, c.inChannels, c.outChannels];
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], c.stride, 1, c.pad);
  const dyShape = info.outShape;
  const common = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
  return [
    {
      kernel: 'Conv2DBackpropFilter',
      inputs: { x: { data: values(xShape, 1), shape: xShape }, dy: { data: values(dyShape, 2), shape: dyShape } },
      attrs: { ...common, filterShape },
    },
    {
      kernel: 'Conv2DBackpropInput',
      inputs: { dy: { data: values(dyShape, 3), shape: dyShape }, filter: { data: values(filterShape, 4), shape: filterShape } },
      attrs: { ...common, inputShape: xShape },
    },
  ];
}

describe('wasm conv backprop kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm', pino({ level: 'silent' }));
  });

  it('registers a Conv2DBackpropFilter and replaces the shipped Conv2DBackpropInput', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc.name).toBe('conv2dBackpropFilterWasm');
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc.name).toBe('conv2dBackpropInputDispatch');
  });

  // The registered Conv2DBackpropInput hands tiny inputs to the shipped kernel, so ours is also
  // called directly: every case then checks both what training runs and our phase kernel.
  it.each(CASES.map((c) => [name(c), c] as const))('matches the cpu backend: %s', async (_label, c) => {
    for (const call of calls(c)) {
      const expected = await runOn('cpu', call);
      const variants: [string, DirectKernel | undefined][] = [['registered', undefined]];
      if (call.kernel === 'Conv2DBackpropInput') variants.push(['phases', conv2dBackpropInputWasm as unknown as DirectKernel]);
      for (const [variant, direct] of variants) {
        const actual = await runOn('wasm', call, direct);
        expect(actual.shape, `${call.kernel} ${variant}`).toEqual(expected.shape);
        expect(relativeError(expected.data, actual.data), `${call.kernel} ${variant}`).toBeLessThan(1e-5);
      }
    }
  });

  it('frees every intermediate it allocates', async () => {
    const [filterCall, inputCall] = calls(CASES[CASES.length - 2] as Case) as [KernelCall, KernelCall];
    await runOn('wasm', filterCall);
    await runOn('wasm', inputCall);
    // Intermediates live only in the backend (the engine never sees them), so count its buffers.
    const wasm = tf.findBackend('wasm');
    const before = wasm?.numDataIds();
    for (let i = 0; i < 3; i++) {
      await runOn('wasm', filterCall);
      await runOn('wasm', inputCall);
    }
    expect(wasm?.numDataIds()).toBe(before);
  });
});
