// Times the addon's conv kernels alone on ResNet18 layer shapes (no TF.js): GFLOP/s per shape.
// Usage: node packages/tfjs-backend-native/bench/conv-micro.cjs [batch] [threads]
const a = require('../build/Release/tfjs_native.node');
const batch = Number(process.argv[2] ?? 16);
a.setThreads(Number(process.argv[3] ?? 2));
// [ih, ic, k, oc, stride] after explicit padding (valid convs, as src/training/resnet.ts builds them)
const layers = [[230, 3, 7, 64, 2], [58, 64, 3, 64, 1], [58, 64, 3, 128, 2], [30, 128, 3, 128, 1], [56, 64, 1, 128, 2], [16, 256, 3, 256, 1], [9, 512, 3, 512, 1]];
for (const layout of (process.argv[4] ?? 'nhwc,blocked,auto').split(',')) {
a.setConvLayout(layout);
console.log(`layout ${layout}`);
for (const [ih, ic, k, oc, s] of layers) {
  const oh = Math.floor((ih - k) / s) + 1;
  const shape = [batch, ih, ih, ic, k, k, oc, oh, oh, s, s, 1, 1, 0, 0, 0, 0];
  const x = new Float32Array(batch * ih * ih * ic).fill(0.5), w = new Float32Array(k * k * ic * oc).fill(0.1);
  const y = new Float32Array(batch * oh * oh * oc), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
  const flops = 2 * batch * oh * oh * oc * ic * k * k;
  // CPU time (user+sys) rather than wall time with CPU_TIME=1: robust when other processes load the machine
  // (use with 1 thread, or OMP_WAIT_POLICY=passive, so spinning is not counted as work).
  const now = () => (process.env.CPU_TIME ? (({ user, system }) => (user + system) / 1000)(process.cpuUsage()) : performance.now());
  const time = (f) => { f(); const t = now(); f(); f(); return (now() - t) / 2; };
  const tf = time(() => a.conv2d(x, w, null, y, shape, false));
  const td = time(() => a.conv2dBackpropInput(y, w, dx, shape));
  const tw = time(() => a.conv2dBackpropFilter(x, y, dw, shape));
  const g = (t) => (flops / t / 1e6).toFixed(1).padStart(6);
  console.log(`${ih}x${ih}x${ic} k${k} s${s} -> ${oc}: fwd ${tf.toFixed(1)} ms (${g(tf)} GF/s)  bwd_d ${td.toFixed(1)} ms (${g(td)})  bwd_w ${tw.toFixed(1)} ms (${g(tw)})`);
}
}
if (process.env.IMPLS) for (const l of a.convImpls()) console.log(l);
