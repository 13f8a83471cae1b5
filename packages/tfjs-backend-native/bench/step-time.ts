// Wall time per native call inside real ResNet18 training steps (the trainer's own accumulatedStep),
// plus the step's wall, CPU user/sys time and what is left for JS. Unlike tf.profile it adds no
// synchronisation, so the step time is the bench's.
// Usage: npx tsx packages/tfjs-backend-native/bench/step-time.ts [size 224] [batch 16] [steps 2]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loaded } from '../lib/addon.js';
import { register } from '@dagctl/tfjs-backend-native';
import { buildResNet18, logitsModel } from '../../../src/training/resnet.js';
import { accumulatedStep } from '../../../src/training/step.js';
const size = Number(process.argv[2] ?? 224), batch = Number(process.argv[3] ?? 16), steps = Number(process.argv[4] ?? 2);
const a = loaded.addon as Record<string, (...x: unknown[]) => unknown>;
const stats = new Map<string, { ms: number; n: number }>();
for (const k of Object.keys(a)) {
  const f = a[k]!;
  if (typeof f !== 'function') continue;
  a[k] = (...args: unknown[]) => { const t = performance.now(); const r = f(...args); const e = stats.get(k) ?? { ms: 0, n: 0 }; e.ms += performance.now() - t; e.n++; stats.set(k, e); return r; };
}
await register();
await tf.setBackend('native-cpu');
const model = buildResNet18({ inputSize: size, width: 64 });
const logits = logitsModel(model);
const opt = tf.train.adam(0.001);
const x = Float32Array.from({ length: batch * size * size * 3 }, (_, i) => Math.sin(i));
const labels = Int32Array.from({ length: batch }, (_, i) => i % 2);
const o = { microBatch: batch, size, classWeights: [1, 1] as [number, number] };
await accumulatedStep(logits, opt, { x, labels, n: batch }, o);
stats.clear();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let s = 0; s < steps; s++) await accumulatedStep(logits, opt, { x, labels, n: batch }, o);
const wall = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(cpu0);
let tot = 0;
for (const e of stats.values()) tot += e.ms;
console.log(`step ${wall.toFixed(0)} ms, ${(batch / wall * 1000).toFixed(2)} img/s; native ${(tot / steps).toFixed(0)} ms; js ${(wall - tot / steps).toFixed(0)} ms; cpu user ${(cpu.user / 1000 / steps).toFixed(0)} sys ${(cpu.system / 1000 / steps).toFixed(0)} ms; rss ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
for (const [k, e] of [...stats.entries()].sort((p, q) => q[1].ms - p[1].ms)) console.log(`  ${k.padEnd(22)} ${(e.ms / steps).toFixed(1).padStart(8)} ms  ${e.n / steps} calls`);
