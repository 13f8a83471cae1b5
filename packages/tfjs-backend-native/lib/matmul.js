// BatchMatMul and _FusedMatMul (bias + relu/linear) on oneDNN's matmul.
import { util } from '@tensorflow/tfjs-core';
import { alloc, f32, fallback, output } from './util.js';

export function matmulKernels(addon, cpu) {
  function run({ inputs, backend, attrs }, name) {
    const { a, b, bias, preluActivationWeights } = inputs;
    const { transposeA, transposeB } = attrs;
    const act = attrs.activation ?? 'linear';
    const av = f32(backend, a), bv = f32(backend, b), biasv = bias ? f32(backend, bias) : null;
    const ra = a.shape.length, rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batchA = util.sizeFromShape(a.shape.slice(0, -2)), batchB = util.sizeFromShape(b.shape.slice(0, -2));
    const ok = av && bv && ra >= 2 && rb >= 2 && ra === rb && !preluActivationWeights && (act === 'linear' || act === 'relu') &&
      (util.arraysEqual(a.shape.slice(0, -2), b.shape.slice(0, -2)) || batchA === 1 || batchB === 1) && (!bias || (biasv && biasv.length === n)) && m * n * k > 0;
    if (!ok) return fallback(cpu, name, { inputs, backend, attrs });
    const batch = Math.max(batchA, batchB);
    const outShape = [...(batchA >= batchB ? a.shape : b.shape).slice(0, -2), m, n];
    const out = alloc([batch, m, n]);
    addon.batchMatMul(av, bv, out, [batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0]);
    if (biasv) addon.binary(0, out, biasv, out, 1, n);
    if (act === 'relu') addon.unary(0, out, out, 0);
    return output(backend, outShape, out);
  }
  return [
    { kernelName: 'BatchMatMul', kernelFunc: (x) => run(x, 'BatchMatMul') },
    { kernelName: '_FusedMatMul', kernelFunc: (x) => run(x, '_FusedMatMul') },
  ];
}
