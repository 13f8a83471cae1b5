// Training/inference throughput of ResNet18 on one TF.js backend, plus the data pipeline's decode+resize rate,
// side by side with the seed's stack (bench/pytorch_resnet18.py) where python3 imports torchvision.
// Usage: npm run bench:train -- [--backend auto|wasm|native-cpu|...] [--sizes 224,128] [--batch 16,64] [--steps 2]
//        [--infer-runs 7] [--rounds 1] [--data DIR] [--json]
// One line (or one JSON object with --json) per size x batch and framework; with --rounds N the whole sequence
// (ours, then PyTorch) repeats N times and a summary per size x batch gives the medians and their ratio, which is
// what to quote on a shared machine whose speed drifts. Figures are wall clock on this machine, as is.
import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { execa } from 'execa';
import { pino } from 'pino';
import { initBackend, recommendedMicroBatch, releaseBackend, type BackendName } from '../src/training/backends/index.js';
import { preprocessImage } from '../src/training/preprocess.js';
import { augmentImage } from '../src/training/augment.js';
import { createRng } from '../src/training/rng.js';
import { buildResNet18, logitsModel } from '../src/training/resnet.js';
import { accumulatedStep } from '../src/training/step.js';

const { values: a } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    sizes: { type: 'string', default: '224,128' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '2' },
    'infer-runs': { type: 'string', default: '7' },
    rounds: { type: 'string', default: '1' },
    'micro-batch': { type: 'string' },
    data: { type: 'string', default: 'test/fixtures/training/chest_xray/train' },
    json: { type: 'boolean', default: false },
  },
});
const list = (s: string) => s.split(',').map((v) => Number(v.trim())).filter((v) => v > 0);
const PYTORCH_SCRIPT = path.resolve('bench/pytorch_resnet18.py');
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

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

/** Augmentation as params.production.yaml sets it, on one thread (it runs on the thread that drives training), images/s. */
function augmentRate(size: number): number {
  const img = new Float32Array(size * size * 3).map((_, i) => Math.sin(i));
  const p = { enabled: true, rotation_deg: 10, shift: 0.08, zoom: 0.1, horizontal_flip: false, contrast: 0.2, brightness: 0.1 };
  const rng = createRng(1);
  const n = 64;
  const start = performance.now();
  for (let i = 0; i < n; i++) augmentImage(img, size, p, rng);
  return n / ((performance.now() - start) / 1000);
}

type Row = Record<string, string | number>;

/** Multiply-adds x 2 of one image's training step: forward, backward-weights, and backward-data except the first layer's (nothing needs the image's gradient; PyTorch skips it too). */
function trainingFlopsPerImage(model: ReturnType<typeof buildResNet18>): number {
  let flops = 0;
  let first = true;
  for (const layer of model.layers) {
    const kernel = layer.getWeights()[0];
    const out = layer.outputShape as number[];
    const cls = layer.getClassName();
    if (!kernel || (cls !== 'Conv2D' && cls !== 'Dense')) continue;
    const forward = 2 * out.slice(1, -1).reduce((p, d) => p * d, 1) * kernel.size;
    flops += (first ? 2 : 3) * forward;
    first = false;
  }
  return flops;
}

/** FP32 peak of this CPU: cores x FLOP per cycle (FMA units x vector lanes x 2) x clock. An estimate: turbo may run above the reported clock. */
function peakGflops(): number {
  const flags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const perCycle = /\bavx512f\b/.test(flags) ? 64 : /\bfma\b/.test(flags) && /\bavx2\b/.test(flags) ? 32 : 8;
  const mhz = cpus()[0]?.speed || Number(/cpu MHz\s*:\s*([\d.]+)/.exec(flags)?.[1] ?? 0);
  return (availableParallelism() * perCycle * mhz) / 1000;
}

async function runOurs(info: Awaited<ReturnType<typeof initBackend>>, decode: number, size: number, batch: number, steps: number): Promise<Row> {
  const micro = Math.min(batch, a['micro-batch'] ? Number(a['micro-batch']) : recommendedMicroBatch(info, size));
  const model = buildResNet18({ inputSize: size, width: 64 });
  const flops = trainingFlopsPerImage(model);
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
  return {
    backend: info.name, threads: info.threads, size, batch, micro_batch: micro, steps, // prettier-ignore
    train_images_per_s: Number(trainIps.toFixed(3)),
    train_gflop_s: Number(((trainIps * flops) / 1e9).toFixed(1)),
    infer_ms_p50: Number(median(times).toFixed(1)),
    peak_rss_mb: Math.round(peakRssMb()),
    decode_images_per_s: Number(decode.toFixed(1)),
    augment_images_per_s: Number(augmentRate(size).toFixed(1)),
  };
}

function print(row: Row): void {
  if (a.json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else if (row.framework === 'pytorch')
    console.log(`pytorch ${row.version} (${row.threads} thr) ${row.size}x${row.size} batch ${row.batch}: train ${row.train_images_per_s} img/s, infer p50 ${row.infer_ms_p50} ms, peak RSS ${row.peak_rss_mb} MB`);
  else if (row.summary)
    console.log(
      `summary ${row.size}x${row.size} batch ${row.batch} over ${row.rounds} round(s): ${row.backend} ${row.train_images_per_s} img/s (${row.train_gflop_s} GFLOP/s = ` +
        `${row.peak_fraction} of ~${row.peak_gflop_s} peak), pytorch ${row.pytorch_train_images_per_s ?? '-'} img/s, median per-round ratio ${row.ratio_vs_pytorch ?? '-'}; ` +
        `infer p50 ${row.infer_ms_p50} vs ${row.pytorch_infer_ms_p50 ?? '-'} ms`,
    );
  else
    console.log(
      `${row.backend} (${row.threads} thr) ${row.size}x${row.size} batch ${row.batch} (micro ${row.micro_batch}): train ${row.train_images_per_s} img/s ` +
        `(${row.train_gflop_s} GFLOP/s), infer p50 ${row.infer_ms_p50} ms, peak RSS ${row.peak_rss_mb} MB, decode+resize ${row.decode_images_per_s} img/s, augment ${row.augment_images_per_s} img/s`,
    );
}

async function main(): Promise<void> {
  const logger = pino({ level: 'warn' });
  const info = await initBackend(a.backend as BackendName | 'auto', logger);
  const files = await imageFiles(path.resolve(a.data));
  const steps = Math.max(1, Number(a.steps));
  const rounds = Math.max(1, Number(a.rounds));
  const decode = new Map<number, number>();
  for (const size of list(a.sizes)) decode.set(size, files.length > 0 ? await decodeRate(files, size) : Number.NaN);
  const python = await pythonWithTorchvision();
  const ours: Row[] = [];
  const theirs: Row[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const size of list(a.sizes)) for (const batch of list(a.batch)) ours.push(print0({ ...(await runOurs(info, decode.get(size) as number, size, batch, steps)), round: r + 1 }));
    if (python) theirs.push(...(await pytorchRows(python)).map((row) => print0({ ...row, round: r + 1 })));
  }
  releaseBackend();
  if (rounds > 1 || theirs.length > 0) for (const size of list(a.sizes)) for (const batch of list(a.batch)) print(summary(ours, theirs, size, batch, rounds));
}

function print0(row: Row): Row {
  print(row);
  return row;
}

function summary(ours: Row[], theirs: Row[], size: number, batch: number, rounds: number): Row {
  const pick = (rows: Row[], key: string) => rows.filter((r) => r.size === size && r.batch === batch).map((r) => Number(r[key]));
  const round = (v: number, digits: number) => Number(v.toFixed(digits));
  const ips = round(median(pick(ours, 'train_images_per_s')), 3);
  const gflops = round(median(pick(ours, 'train_gflop_s')), 1);
  const peak = peakGflops();
  const row: Row = {
    summary: 1, backend: String(ours[0]?.backend), size, batch, rounds, // prettier-ignore
    train_images_per_s: ips,
    train_gflop_s: gflops,
    peak_gflop_s: Math.round(peak),
    peak_fraction: Number((gflops / peak).toFixed(2)),
    infer_ms_p50: round(median(pick(ours, 'infer_ms_p50')), 1),
  };
  const pt = pick(theirs, 'train_images_per_s');
  if (pt.length > 0) {
    row.pytorch_train_images_per_s = round(median(pt), 3);
    row.pytorch_infer_ms_p50 = round(median(pick(theirs, 'infer_ms_p50')), 1);
    // Each round's ratio compares runs minutes apart, which the machine's drift affects least.
    const ourByRound = new Map(ours.filter((r) => r.size === size && r.batch === batch).map((r) => [r.round, Number(r.train_images_per_s)]));
    const ratios = theirs.filter((r) => r.size === size && r.batch === batch && ourByRound.has(r.round)).map((r) => (ourByRound.get(r.round) as number) / Number(r.train_images_per_s));
    row.ratio_vs_pytorch = round(median(ratios), 2);
  }
  return row;
}

/** A python3 that imports torchvision (for bench/pytorch_resnet18.py, the seed stack's figures), or undefined. */
async function pythonWithTorchvision(): Promise<string | undefined> {
  if (!existsSync(PYTORCH_SCRIPT)) return undefined;
  // pyenv shims often lack Debian's python3-torchvision; the system interpreter has it.
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if ((await execa(candidate, ['-c', 'import torchvision'], { reject: false })).exitCode === 0) return candidate;
  }
  console.error('bench/pytorch_resnet18.py skipped: no python3 here imports torchvision');
  return undefined;
}

async function pytorchRows(python: string): Promise<Row[]> {
  const args = [PYTORCH_SCRIPT, '--sizes', a.sizes, '--batch', a.batch, '--steps', a.steps, '--infer-runs', a['infer-runs'], '--json'];
  const r = await execa(python, args, { reject: false, all: true });
  const rows: Row[] = [];
  for (const line of (r.all ?? '').split('\n')) {
    try {
      rows.push(JSON.parse(line) as Row);
    } catch {
      if (line.trim()) console.error(line);
    }
  }
  return rows;
}

await main();
