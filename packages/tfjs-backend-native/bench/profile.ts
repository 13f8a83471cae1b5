// Where one ResNet18 training step spends its time, per TF.js kernel (tf.profile), on a backend.
// Usage: npx tsx packages/tfjs-backend-native/bench/profile.ts [--backend native-cpu|cpu] [--size 224] [--batch 16] [--top 15]
// DAGCTL_NATIVE_KERNELS=conv (etc.) profiles a partial backend, e.g. "convolutions only" as the before picture.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { register } from '@dagctl/tfjs-backend-native';
import { buildResNet18, logitsModel } from '../../../src/training/resnet.js';

const { values: a } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native-cpu' },
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '16' },
    width: { type: 'string', default: '64' },
    top: { type: 'string', default: '15' },
    detail: { type: 'string' }, // a kernel name: also list its calls grouped by input shapes
  },
});
const size = Number(a.size), batch = Number(a.batch);
if (a.backend === 'native-cpu') await register();
await tf.setBackend(a.backend);
const model = buildResNet18({ inputSize: size, width: Number(a.width) });
const logits = logitsModel(model);
const opt = tf.train.adam(1e-3);
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
const x = tf.tensor4d(Float32Array.from({ length: batch * size * size * 3 }, (_, i) => Math.sin(i)), [batch, size, size, 3]);
const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), 'int32'), 2);
const step = () => {
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, logits.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
  opt.applyGradients(grads);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
step(); // warm-up
const t0 = performance.now();
const prof = await tf.profile(step);
const wall = performance.now() - t0;
const byName = new Map<string, { ms: number; n: number }>();
const detail = new Map<string, { ms: number; n: number }>();
for (const k of prof.kernels) {
  const ms = Number(await k.kernelTimeMs);
  if (k.name === a.detail) {
    const key = JSON.stringify(k.inputShapes);
    const d = detail.get(key) ?? { ms: 0, n: 0 };
    d.ms += ms;
    d.n += 1;
    detail.set(key, d);
  }
  const e = byName.get(k.name) ?? { ms: 0, n: 0 };
  e.ms += ms;
  e.n += 1;
  byName.set(k.name, e);
}
const liveMb = Math.max(...prof.kernels.map((k) => k.totalBytesSnapshot)) / 2 ** 20;
const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
console.log(`${a.backend} ${size}x${size} batch ${batch}: step ${(wall / 1000).toFixed(2)} s (${(batch / (wall / 1000)).toFixed(2)} img/s), kernels ${(total / 1000).toFixed(2)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB, peak live tensors ${Math.round(liveMb)} MB`);
for (const [name, e] of [...byName.entries()].sort((p, q) => q[1].ms - p[1].ms).slice(0, Number(a.top))) {
  console.log(`  ${name.padEnd(24)} ${e.ms.toFixed(0).padStart(7)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  (${e.n} calls)`);
}
for (const [shapes, e] of [...detail.entries()].sort((p, q) => q[1].ms - p[1].ms).slice(0, 12)) {
  console.log(`    ${a.detail} ${shapes}: ${e.ms.toFixed(0)} ms (${e.n} calls)`);
}
