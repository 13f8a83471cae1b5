// Training/inference throughput of ResNet18 on one TF.js backend, plus the data pipeline's decode+resize rate.
// Usage: npm run bench:train -- [--backend auto|wasm|native-cpu|...] [--sizes 224,128] [--batch 16,64] [--steps 2]
//        [--infer-runs 7] [--data DIR] [--json]
// One line (or one JSON object with --json) per size x batch. Figures are wall clock on this machine, as is.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { execa } from 'execa';
import { pino } from 'pino';
import { initBackend, recommendedMicroBatch, releaseBackend, type BackendName } from '../src/training/backends/index.js';
import { preprocessImage } from '../src/training/preprocess.js';
import { buildResNet18, logitsModel } from '../src/training/resnet.js';
import { accumulatedStep } from '../src/training/step.js';

const { values: a } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    sizes: { type: 'string', default: '224,128' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '2' },
    'infer-runs': { type: 'string', default: '7' },
    'micro-batch': { type: 'string' },
    data: { type: 'string', default: 'test/fixtures/training/chest_xray/train' },
    json: { type: 'boolean', default: false },
  },
});
const list = (s: string) => s.split(',').map((v) => Number(v.trim())).filter((v) => v > 0);
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)] as number;

async function imageFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of ['NORMAL', 'PNEUMONIA']) {
    const d = path.join(dir, c);
    if (existsSync(d)) out.push(...(await readdir(d)).filter((n) => /\.(jpe?g|png)$/i.test(n) && !n.startsWith('corrupt')).map((n) => path.join(d, n)));
  }
  return out;
}

/** Decode + resize + normalise, 16 at a time (what a training batch does), images/s. */
async function decodeRate(files: string[], size: number): Promise<number> {
  const bufs = await Promise.all(files.map((f) => readFile(f)));
  const ok: Buffer[] = [];
  for (const b of bufs) await preprocessImage(b, size).then(() => ok.push(b), () => undefined);
  const rounds = Math.max(1, Math.ceil(64 / ok.length));
  const start = performance.now();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < ok.length; i += 16) await Promise.all(ok.slice(i, i + 16).map((b) => preprocessImage(b, size)));
  return (rounds * ok.length) / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const logger = pino({ level: 'warn' });
  const info = await initBackend(a.backend as BackendName | 'auto', logger);
  const files = await imageFiles(path.resolve(a.data));
  const steps = Math.max(1, Number(a.steps));
  for (const size of list(a.sizes)) {
    const decode = files.length > 0 ? await decodeRate(files, size) : Number.NaN;
    for (const batch of list(a.batch)) {
      const micro = Math.min(batch, a['micro-batch'] ? Number(a['micro-batch']) : recommendedMicroBatch(info, size));
      const model = buildResNet18({ inputSize: size, width: 64 });
      const logits = logitsModel(model);
      const opt = tf.train.adam(0.001);
      const x = Float32Array.from({ length: batch * size * size * 3 }, (_, i) => Math.sin(i));
      const labels = Int32Array.from({ length: batch }, (_, i) => i % 2);
      // Warm-up: one micro-batch compiles/allocates kernels without paying for a whole batch.
      await accumulatedStep(logits, opt, { x: x.subarray(0, micro * size * size * 3), labels: labels.subarray(0, micro), n: micro }, { microBatch: micro, size, classWeights: [1, 1] });
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) await accumulatedStep(logits, opt, { x, labels, n: batch }, { microBatch: micro, size, classWeights: [1, 1] });
      const trainIps = (batch * steps) / ((performance.now() - t0) / 1000);
      const one = tf.tensor4d(x.subarray(0, size * size * 3), [1, size, size, 3]);
      const times: number[] = [];
      for (let r = 0; r <= Number(a['infer-runs']); r++) {
        const t = performance.now();
        const y = model.predict(one) as tf.Tensor;
        await y.data();
        y.dispose();
        if (r > 0) times.push(performance.now() - t); // run 0 is warm-up
      }
      tf.dispose([one]);
      opt.dispose();
      model.dispose();
      const row = {
        backend: info.name, threads: info.threads, size, batch, micro_batch: micro, steps, // prettier-ignore
        train_images_per_s: Number(trainIps.toFixed(3)),
        infer_ms_p50: Number(median(times).toFixed(1)),
        peak_rss_mb: Math.round(peakRssMb()),
        decode_images_per_s: Number(decode.toFixed(1)),
      };
      if (a.json) process.stdout.write(`${JSON.stringify(row)}\n`);
      else
        console.log(
          `${info.name} (${info.threads} thr) ${size}x${size} batch ${batch} (micro ${micro}): train ${row.train_images_per_s} img/s, infer p50 ${row.infer_ms_p50} ms, ` +
            `peak RSS ${row.peak_rss_mb} MB, decode+resize ${row.decode_images_per_s} img/s`,
        );
    }
  }
  releaseBackend();
  await pytorchComparison();
}

/** bench/pytorch_resnet18.py (helper N) prints the seed stack's figures; run it with a python3 that imports torchvision. */
async function pytorchComparison(): Promise<void> {
  const script = path.resolve('bench/pytorch_resnet18.py');
  if (!existsSync(script)) return;
  // pyenv shims often lack Debian's python3-torchvision; the system interpreter has it.
  let python: string | undefined;
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if ((await execa(candidate, ['-c', 'import torchvision'], { reject: false })).exitCode === 0) {
      python = candidate;
      break;
    }
  }
  if (!python) {
    console.error('bench/pytorch_resnet18.py skipped: no python3 here imports torchvision');
    return;
  }
  const args = [script, '--sizes', a.sizes, '--batch', a.batch, '--steps', a.steps, '--infer-runs', a['infer-runs'], ...(a.json ? ['--json'] : [])];
  const r = await execa(python, args, { reject: false, all: true });
  process.stdout.write(`${r.all ?? ''}\n`);
}

await main();
