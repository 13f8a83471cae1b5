// Times the conv kernels ResNet18 training spends its time in, per backend, on ResNet18's shapes.
// Usage: npm run bench:kernels -- [--batch 2] [--reps 3] [--backends wasm] [--size 224]
// The cpu backend's backprop kernels are naive JS loops (minutes per call at 224): compare it at a
// smaller scale, e.g. --backends wasm,cpu --size 56 --batch 1 --reps 1 (GFLOP/s stay comparable).
// Prints, per call (median of reps, after one warm-up): wall ms, CPU ms of this process (user+sys;
// stable on a loaded machine for the single-threaded wasm and cpu backends) and GFLOP/s from the
// CPU time (2*B*Ho*Wo*kh*kw*Cin*Cout flops).
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import pino from 'pino';
import { initBackend, isBackendName } from '../src/training/backends/index.js';
import { shippedWasmKernel } from '../src/training/backends/wasm-kernels/index.js';

const { values: opts } = parseArgs({
  options: {
    batch: { type: 'string', default: '2' },
    reps: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'wasm' },
    size: { type: 'string', default: '224' },
  },
});
const batch = Number(opts.batch);
const reps = Number(opts.reps);
const size = Number(opts.size);

interface Shape {
  label: string;
  hw: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  /** conv1's input gradient is never needed in training (the input is not a variable). */
  input: boolean;
}
const s = (f: number) => Math.max(1, Math.round((size * f) / 224));
const SHAPES: Shape[] = [
  { label: 'conv1 7x7/2 3->64', hw: s(224), cin: 3, cout: 64, k: 7, stride: 2, input: false },
  { label: 'layer1 3x3 64->64', hw: s(56), cin: 64, cout: 64, k: 3, stride: 1, input: true },
  { label: 'layer2 3x3/2 64->128', hw: s(56), cin: 64, cout: 128, k: 3, stride: 2, input: true },
  { label: 'layer2 proj 1x1/2 64->128', hw: s(56), cin: 64, cout: 128, k: 1, stride: 2, input: true },
  { label: 'layer3 3x3 256->256', hw: s(14), cin: 256, cout: 256, k: 3, stride: 1, input: true },
  { label: 'layer4 3x3 512->512', hw: s(7), cin: 512, cout: 512, k: 3, stride: 1, input: true },
];

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Calls a kernel function directly (no engine bookkeeping), as backends call each other. */
function timeKernel(
  config: KernelConfig,
  backend: KernelBackend,
  inputs: Record<string, TensorInfo>,
  attrs: object,
): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    const out = config.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
    backend.readSync(out.dataId); // the CPU backends finish inside the call; this only makes sure
    const used = process.cpuUsage(startCpu);
    const elapsed = performance.now() - start;
    backend.disposeData(out.dataId);
    if (r > 0) {
      wall.push(elapsed);
      cpu.push((used.user + used.system) / 1000);
    }
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const rows: string[][] = [];
for (const name of opts.backends.split(',')) {
  if (!isBackendName(name)) throw new Error(`unknown backend ${name}`);
  const info = await initBackend(name, pino({ level: 'warn' }));
  const backend = tf.backend();
  for (const sh of SHAPES) {
    const xShape: [number, number, number, number] = [batch, sh.hw, sh.hw, sh.cin];
    const fShape: [number, number, number, number] = [sh.k, sh.k, sh.cin, sh.cout];
    const convInfo = tf.backend_util.computeConv2DInfo(xShape, fShape, sh.stride, 1, 'same');
    const gflop = (2 * batch * convInfo.outHeight * convInfo.outWidth * sh.k * sh.k * sh.cin * sh.cout) / 1e9;
    const x = tf.randomNormal(xShape);
    const filter = tf.randomNormal(fShape);
    const dy = tf.randomNormal(convInfo.outShape);
    const common = { strides: sh.stride, pad: 'same', dataFormat: 'NHWC' };
    const runs: [string, KernelConfig | undefined, Record<string, TensorInfo>, object][] = [
      ['Conv2D', tf.getKernel('Conv2D', name), { x, filter }, { ...common, dilations: 1 }],
      ['Conv2DBackpropFilter', tf.getKernel('Conv2DBackpropFilter', name), { x, dy }, { ...common, filterShape: fShape }],
    ];
    if (sh.input) {
      runs.push(['Conv2DBackpropInput', tf.getKernel('Conv2DBackpropInput', name), { dy, filter }, { ...common, inputShape: xShape }]);
      const shipped = name === 'wasm' ? shippedWasmKernel('Conv2DBackpropInput') : undefined;
      if (shipped) runs.push(['Conv2DBackpropInput (shipped)', shipped, { dy, filter }, { ...common, inputShape: xShape }]);
    }
    for (const [kernel, config, inputs, attrs] of runs) {
      if (config === undefined) {
        rows.push([info.name, sh.label, kernel, 'missing', '', '']);
        continue;
      }
      const { wall, cpu } = timeKernel(config, backend, inputs, attrs);
      rows.push([info.name, sh.label, kernel, wall.toFixed(1), cpu.toFixed(1), (gflop / (cpu / 1000)).toFixed(2)]);
      console.log(rows[rows.length - 1]?.join('\t'));
    }
    tf.dispose([x, filter, dy]);
  }
}

console.log(`\nbatch ${batch}, image ${size}x${size}, median of ${reps} after a warm-up; GFLOP/s from cpu ms`);
const widths = [10, 26, 30, 9, 9, 8];
const header = ['backend', 'layer', 'kernel', 'wall ms', 'cpu ms', 'GFLOP/s'];
for (const row of [header, ...rows]) console.log(row.map((c, i) => (i >= 3 ? c.padStart(widths[i] ?? 8) : c.padEnd(widths[i] ?? 8))).join(' '));
