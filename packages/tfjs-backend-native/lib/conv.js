// Conv2D / FusedConv2D / Conv2DBackpropInput / Conv2DBackpropFilter / MaxPool / MaxPoolGrad.
// TF.js's own conv-info helper resolves 'same'/'valid'/explicit padding so our geometry is
// exactly the cpu backend's; anything we do not handle (NCHW, non-float, prelu) goes to cpu.
import { backend_util } from '@tensorflow/tfjs-core';
import { pendingPad } from './lazy-pad.js';
import { alloc, contentId, f32, fallback, output } from './util.js';

function shape17(ci, pad) {
  const p = ci.padInfo;
  // A pending zero padding (lazy-pad.js) becomes oneDNN padding on the unpadded source.
  const [ih, iw] = pad ? [pad.srcShape[1], pad.srcShape[2]] : [ci.inHeight, ci.inWidth];
  const [bt, bl, at, al] = pad ? [pad.before[1], pad.before[2], pad.after[1], pad.after[2]] : [0, 0, 0, 0];
  return [ci.batchSize, ih, iw, ci.inChannels, ci.filterHeight, ci.filterWidth, ci.outChannels,
    ci.outHeight, ci.outWidth, ci.strideHeight, ci.strideWidth, ci.dilationHeight, ci.dilationWidth,
    p.top + bt, p.left + bl, p.bottom + at, p.right + al];
}

/** x's storage for a convolution: the unpadded source when x is a pending zero padding. */
function convInput(backend, x) {
  const pad = x.dtype === 'float32' ? pendingPad(x) : undefined;
  return pad ? { xv: pad.src, pad } : { xv: f32(backend, x), pad: undefined };
}

const channelsLast = (dataFormat) => dataFormat == null || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
const dilation1 = (d) => d == null || d === 1 || (Array.isArray(d) && d.every((v) => v === 1));

export function convKernels(addon, cpu) {
  function conv({ inputs, backend, attrs }, name) {
    const { x, filter, bias, preluActivationWeights } = inputs;
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs;
    const { xv, pad: pending } = convInput(backend, x);
    const wv = f32(backend, filter);
    const bv = bias ? f32(backend, bias) : null;
    const act = activation ?? 'linear';
    const ok = xv && wv && channelsLast(dataFormat) && x.shape.length === 4 && !preluActivationWeights &&
      (act === 'linear' || act === 'relu') && (!bias || (bv && bv.length === filter.shape[3]));
    if (!ok) return fallback(cpu, name, { inputs, backend, attrs });
    const ci = backend_util.computeConv2DInfo(x.shape, filter.shape, strides, dilations ?? 1, pad, dimRoundingMode, false, 'channelsLast');
    const out = alloc(ci.outShape);
    addon.conv2d(xv, wv, bv, out, shape17(ci, pending), act === 'relu', contentId(wv));
    return output(backend, ci.outShape, out);
  }

  return [
    { kernelName: 'Conv2D', kernelFunc: (a) => conv(a, 'Conv2D') },
    { kernelName: 'FusedConv2D', kernelFunc: (a) => conv(a, 'FusedConv2D') },
    {
      kernelName: 'Conv2DBackpropInput',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { dy, filter } = inputs;
        const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
        const dyv = f32(backend, dy), wv = f32(backend, filter);
        if (!dyv || !wv || !channelsLast(dataFormat) || inputShape.length !== 4) {
          return fallback(cpu, 'Conv2DBackpropInput', { inputs, backend, attrs });
        }
        const ci = backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
        const dx = alloc(inputShape);
        addon.conv2dBackpropInput(dyv, wv, dx, shape17(ci));
        return output(backend, inputShape, dx);
      },
    },
    {
      kernelName: 'Conv2DBackpropFilter',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, dy } = inputs;
        const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
        const { xv, pad: pending } = convInput(backend, x);
        const dyv = f32(backend, dy);
        if (!xv || !dyv || !channelsLast(dataFormat) || x.shape.length !== 4) {
          return fallback(cpu, 'Conv2DBackpropFilter', { inputs, backend, attrs });
        }
        const ci = backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
        const dw = alloc(filterShape);
        addon.conv2dBackpropFilter(xv, dyv, dw, shape17(ci, pending));
        return output(backend, filterShape, dw);
      },
    },
    {
      kernelName: 'MaxPool',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x } = inputs;
        const xv = f32(backend, x);
        const ci = xv && x.shape.length === 4
          ? backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode)
          : null;
        if (!ci || (ci.filterWidth === 1 && ci.filterHeight === 1 && ci.inShape.every((d, i) => d === ci.outShape[i]))) {
          return fallback(cpu, 'MaxPool', { inputs, backend, attrs });
        }
        const out = alloc(ci.outShape);
        addon.maxPool(xv, out, pool14(ci), contentId(xv));
        return output(backend, ci.outShape, out);
      },
    },
    {
      kernelName: 'MaxPoolGrad',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { dy, input } = inputs;
        const dyv = f32(backend, dy), xv = f32(backend, input);
        if (!dyv || !xv || input.shape.length !== 4) return fallback(cpu, 'MaxPoolGrad', { inputs, backend, attrs });
        const ci = backend_util.computePool2DInfo(input.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
        const dx = alloc(input.shape);
        addon.maxPoolGrad(dyv, xv, dx, pool14(ci), contentId(xv));
        return output(backend, input.shape, dx);
      },
    },
  ];
}

function pool14(ci) {
  const p = ci.padInfo;
  return [ci.batchSize, ci.inHeight, ci.inWidth, ci.inChannels, ci.outHeight, ci.outWidth, ci.filterHeight,
    ci.filterWidth, ci.strideHeight, ci.strideWidth, p.top, p.left, p.bottom, p.right];
}
