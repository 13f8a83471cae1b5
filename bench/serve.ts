// Serving latency and throughput at 224x224: the raw model (no HTTP) next to POST /predict end to end,
// so the server's own overhead is visible. The server runs in a child process (this file with --server),
// so the load generator never shares an event loop with the model.
// Usage: npm run bench:serve -- [--model DIR|champion] [--backend auto|native-cpu|wasm|cpu|...] [--n 30]
//        [--duration 10] [--connections 8] [--json]
// Without --model: the registry champion under DAGCTL_HOME (default ./runs) if it is a 224 model, else an
// UNTRAINED full-size ResNet18 built for timing only (the output says which).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { openRegistry } from '../src/registry/index.js';
import { folderSource, startServer } from '../src/serve/index.js';
import { initBackend, type BackendName } from '../src/training/backends/index.js';
import { loadModel, saveModel, type ModelMetadata } from '../src/training/model-io.js';
import { predictTensor } from '../src/training/predict.js';
import { IMAGENET_MEAN, IMAGENET_STD, preprocessImage } from '../src/training/preprocess.js';
import { buildResNet18 } from '../src/training/resnet.js';

const { values: a } = parseArgs({
  options: {
    server: { type: 'string' }, // child mode: serve this model folder
    model: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    n: { type: 'string', default: '30' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const logger = pino({ level: process.env.BENCH_LOG ?? 'silent' });
const IMAGE = path.resolve(import.meta.dirname, '../test/fixtures/serve/pneumonia-1.jpeg');

if (a.server) {
  const backend = await initBackend(a.backend as BackendName | 'auto', logger);
  const server = await startServer({ source: folderSource(a.server), logger, port: 0, backend: backend.name, processMetrics: false, queueCapacity: 64 });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  await once(process, 'SIGTERM');
  await server.close();
  process.exit(0);
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const ms = (v: number): string => `${v.toFixed(1)} ms`;

/** A 224 model to time: --model, else the registry champion if it is 224, else an untrained ResNet18. */
async function pickModel(tmp: string): Promise<{ dir: string; what: string }> {
  if (a.model && a.model !== 'champion') return { dir: path.resolve(a.model), what: `model folder ${a.model}` };
  const home = path.resolve(process.env.DAGCTL_HOME ?? 'runs');
  const champion = await openRegistry({ root: path.join(home, 'registry'), logger }).champion().catch(() => null);
  if (champion) {
    const meta = JSON.parse(await readFile(path.join(champion.dir, 'metadata.json'), 'utf8')) as ModelMetadata;
    if (meta.input_size === 224) return { dir: champion.dir, what: `registry champion v${champion.version} (${home})` };
  }
  if (a.model === 'champion') throw new Error(`no 224x224 champion in ${home}/registry`);
  const dir = path.join(tmp, 'untrained-resnet18');
  const model = buildResNet18({ inputSize: 224, width: 64, seed: 1 });
  const metadata = {
    format_version: 1,
    class_names: ['NORMAL', 'PNEUMONIA'],
    input_size: 224,
    width: 64,
    preprocessing: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], channels: 3, resize: 'fill' },
    params: {},
    metrics: null,
    created_at: new Date().toISOString(),
  } as unknown as ModelMetadata; // timing only: the server reads class_names, input_size and preprocessing
  await saveModel(model, dir, metadata);
  model.dispose();
  return { dir, what: 'UNTRAINED full-size ResNet18 (224x224, width 64), built for timing only: no trained 224 model was found' };
}

async function startChild(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--server', dir, '--backend', a.backend!], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{"url"')) return { url: (JSON.parse(line) as { url: string }).url, child };
  }
  throw new Error('the server child exited before it listened');
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'dagctl-bench-serve-'));
let child: ChildProcess | undefined;
try {
  const backend = await initBackend(a.backend as BackendName | 'auto', logger);
  const picked = await pickModel(tmp);
  const img = await readFile(IMAGE);
  const n = Number(a.n);

  // Raw: the shared preprocessing, then the forward pass, in this process, no HTTP.
  const loaded = await loadModel(picked.dir);
  const size = loaded.metadata.input_size;
  for (let i = 0; i < 3; i++) await predictTensor(loaded, await preprocessImage(img, size), 1);
  const pre: number[] = [];
  const inf: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const x = await preprocessImage(img, size);
    const t1 = performance.now();
    await predictTensor(loaded, x, 1);
    pre.push(t1 - t0);
    inf.push(performance.now() - t1);
  }
  loaded.model.dispose();

  // End to end over HTTP, one request at a time.
  const started = await startChild(picked.dir);
  child = started.child;
  const url = `${started.url}/predict`;
  const post = () => fetch(url, { method: 'POST', body: img, headers: { 'content-type': 'image/jpeg' } }).then(async (r) => {
    if (r.status !== 200) throw new Error(`POST /predict: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as { latency_ms: number; inference_ms: number };
  });
  for (let i = 0; i < 3; i++) await post();
  const e2e: number[] = [];
  const serverSide: number[] = [];
  const serverInf: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await post();
    e2e.push(performance.now() - t0);
    serverSide.push(r.latency_ms);
    serverInf.push(r.inference_ms);
  }

  // Throughput: N concurrent clients for a fixed time.
  const load = await autocannon({
    url,
    method: 'POST',
    body: img,
    headers: { 'content-type': 'image/jpeg' },
    connections: Number(a.connections),
    duration: Number(a.duration),
    // Requests queue behind each other (serial inference); count slow ones as latency, not errors.
    timeout: 120,
  });

  const result = {
    backend: { name: backend.name, package: backend.package, threads: backend.threads, fallback: backend.fallbackReason ?? null },
    model: picked.what,
    image: `${path.basename(IMAGE)} (${img.length} bytes, 224x224 JPEG)`,
    raw: { preprocess_p50_ms: pct(pre, 50), inference_p50_ms: pct(inf, 50), inference_p99_ms: pct(inf, 99), total_p50_ms: pct(pre.map((p, i) => p + inf[i]!), 50) },
    http_single: { p50_ms: pct(e2e, 50), p99_ms: pct(e2e, 99), server_latency_p50_ms: pct(serverSide, 50), server_inference_p50_ms: pct(serverInf, 50) },
    overhead_p50_ms: pct(e2e, 50) - pct(serverInf, 50),
    http_concurrent: {
      connections: Number(a.connections),
      duration_s: Number(a.duration),
      requests_per_s: load.requests.average,
      latency_p50_ms: load.latency.p50,
      latency_p99_ms: load.latency.p99,
      non_2xx: load.non2xx,
      errors: load.errors,
    },
    samples: n,
    load_average_1m: os.loadavg()[0] ?? 0,
    cpus: os.availableParallelism(),
  };
  if (a.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`backend      ${backend.name} (${backend.package}, ${backend.threads} threads)${backend.fallbackReason ? `; skipped: ${backend.fallbackReason}` : ''}`);
    console.log(`machine      ${result.cpus} CPUs, load average ${result.load_average_1m.toFixed(1)} at the end (other work on the machine inflates every figure)`);
    console.log(`model        ${picked.what}`);
    console.log(`image        ${result.image}; ${n} samples each`);
    console.log(`raw          preprocess p50 ${ms(result.raw.preprocess_p50_ms)}, inference p50 ${ms(result.raw.inference_p50_ms)} p99 ${ms(result.raw.inference_p99_ms)} (no HTTP)`);
    console.log(`HTTP single  p50 ${ms(result.http_single.p50_ms)}, p99 ${ms(result.http_single.p99_ms)} end to end (client clock); server-side inference p50 ${ms(result.http_single.server_inference_p50_ms)}`);
    console.log(`overhead     p50 ${ms(result.overhead_p50_ms)} = end to end - forward pass (HTTP, queue, decode + resize, JSON)`);
    console.log(`HTTP x${result.http_concurrent.connections}      ${result.http_concurrent.requests_per_s.toFixed(1)} req/s, p50 ${ms(result.http_concurrent.latency_p50_ms)}, p99 ${ms(result.http_concurrent.latency_p99_ms)}, non-2xx ${result.http_concurrent.non_2xx}, errors ${result.http_concurrent.errors} (${result.http_concurrent.duration_s} s; inference is serialized, so req/s ~ 1 / forward pass)`);
  }
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await rm(tmp, { recursive: true, force: true });
}
