// Conv2D forward (optionally fused bias + ReLU), backward-data and backward-weights on oneDNN.
// TF.js tensors are NHWC activations and HWIO filters. Each primitive kind runs either directly on
// the NHWC buffers, or in oneDNN's preferred blocked layout (nChw8c on AVX2) with reorders in and
// out, as PyTorch's mkldnn path does. setConvLayout picks: "auto" (default) = per shape and kind
// (ConvShape::blocked), "nhwc" or "blocked" for all. Filters are always reordered from HWIO.
#include <memory>

#include "common.h"

namespace nb {
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

enum Kind { kFwd = 0, kBwdData = 1, kBwdWeights = 2 };
enum class Layout { kAuto, kNhwc, kBlocked };
Layout g_layout = Layout::kAuto;

struct ConvShape {
  int64_t n, ih, iw, ic, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  memory::dims src() const { return {n, ic, ih, iw}; }
  memory::dims wei() const { return {oc, ic, kh, kw}; }
  memory::dims dst() const { return {n, oc, oh, ow}; }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dil() const { return {dh - 1, dw - 1}; }  // TF counts dilation from 1, oneDNN from 0
  memory::dims padL() const { return {pt, pl}; }
  memory::dims padR() const { return {pb, pr}; }
  bool pointwise() const { return kh == 1 && kw == 1; }
  // "auto": blocked, as PyTorch runs oneDNN, except where NHWC measured faster (ResNet18 layers at
  // 224x224 batch 16, min of 4 interleaved runs on AVX2): the first layer's 3-channel forward
  // (22 vs 28 ms: 8-channel blocks would be mostly padding) and 1x1 forward/backward-data
  // (1.6 vs 3.7 ms: the reorders cost more than the convolution). Blocked won 3x3 backward-weights
  // by 15-50% and was level or ahead elsewhere.
  bool blocked(Kind kind) const {
    if (g_layout != Layout::kAuto) return g_layout == Layout::kBlocked;
    if (kind == kFwd) return ic >= 8 && !pointwise();
    if (kind == kBwdData) return !pointwise();
    return true;
  }
  std::string k(Kind kind, int64_t extra) const {
    return key({n, ih, iw, ic, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr, extra, blocked(kind) ? 1 : 0});
  }
};

// Shape arguments come as one JS array of 17 integers, in ConvShape's order.
ConvShape shapeOf(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  int64_t x[17];
  for (uint32_t i = 0; i < 17; i++) x[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return {x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11], x[12], x[13], x[14], x[15], x[16]};
}

memory::desc md(const memory::dims& d, tag t) { return memory::desc(d, dt::f32, t); }
convolution_forward::desc fwdDesc(const ConvShape& s, bool bias, Kind kind) {
  tag act = s.blocked(kind) ? tag::any : tag::nhwc;
  if (bias)
    return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, md(s.src(), act),
                                     md(s.wei(), tag::any), md({s.oc}, tag::x), md(s.dst(), act), s.strides(),
                                     s.dil(), s.padL(), s.padR());
  return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, md(s.src(), act),
                                   md(s.wei(), tag::any), md(s.dst(), act), s.strides(), s.dil(), s.padL(),
                                   s.padR());
}

// One tensor argument: the user's buffer layout, the primitive's layout, and the reorder between
// them (direction fixed at init) when they differ. Temporary buffers live only for one call.
struct Arg {
  memory::desc user, prim;
  bool needReorder = false;
  reorder r;
  void init(const memory::desc& userMd, const memory::desc& primMd, bool userToPrim) {
    user = userMd;
    prim = primMd;
    needReorder = user != prim;
    if (!needReorder) return;
    auto& e = cpuEngine();
    r = userToPrim ? reorder(reorder::primitive_desc(e, user, e, prim)) : reorder(reorder::primitive_desc(e, prim, e, user));
  }
};

// Where a reordered argument lives for one call: a scratch slot (see common.h).
struct Temp {
  explicit Temp(ScratchSlot s) : slot(s) {}
  ScratchSlot slot;
  memory mem;
};

// Input argument: the primitive's view of `ptr`, reordering into scratch if needed.
memory input(Arg& a, float* ptr, Temp& t) {
  auto& e = cpuEngine();
  memory user(a.user, e, ptr);
  if (!a.needReorder) return user;
  t.mem = memory(a.prim, e, scratch(t.slot, a.prim.get_size()));
  a.r.execute(cpuStream(), user, t.mem);
  return t.mem;
}

// Output argument: where the primitive writes; finish() reorders it into `ptr` if needed.
memory outputMem(Arg& a, float* ptr, Temp& t) {
  auto& e = cpuEngine();
  if (!a.needReorder) return memory(a.user, e, ptr);
  t.mem = memory(a.prim, e, scratch(t.slot, a.prim.get_size()));
  return t.mem;
}
void finish(Arg& a, float* ptr, Temp& t) {
  if (!a.needReorder) return;
  memory user(a.user, cpuEngine(), ptr);
  a.r.execute(cpuStream(), t.mem, user);
}

// The forward keeps its filter in the primitive's layout between calls with the same weights:
// inference and evaluation reuse one set of weights for every batch, and reordering ResNet18's
// 44 MB of filters took ~15% of a single image's convolution time (39 -> 33 ms, conv micro-bench).
struct Fwd {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
  Arg src, wei, dst;
  double weightsId = 0;  // 0: nothing cached
  Scratch weights;
};

struct BwdData {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
  Arg dy, wei, dx;
};

struct BwdWeights {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
  Arg src, dy, dw;
};

Cache<Fwd> fwdCache;
Cache<BwdData> bwdDataCache;
Cache<BwdWeights> bwdWeightsCache;

// conv2d(x, w, bias|null, out, shape[17], relu, weightsId): weightsId (> 0) names the filter's
// contents; the same id promises the same values (lib/conv.js derives it from the immutable tensor).
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  ConvShape s = shapeOf(info[4]);
  bool hasBias = !isNull(info[2]);
  bool relu = info[5].As<Napi::Boolean>().Value();
  auto& e = cpuEngine();
  Fwd& f = fwdCache.get(s.k(kFwd, hasBias * 2 + relu), [&] {
    primitive_attr attr;
    if (relu) {
      post_ops po;
      po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(po);
    }
    auto pd = convolution_forward::primitive_desc(fwdDesc(s, hasBias, kFwd), attr, e);
    Fwd r{pd, convolution_forward(pd), {}, {}, {}, 0, {}};
    r.src.init(md(s.src(), tag::nhwc), pd.src_desc(), true);
    r.wei.init(md(s.wei(), tag::hwio), pd.weights_desc(), true);
    r.dst.init(md(s.dst(), tag::nhwc), pd.dst_desc(), false);
    return r;
  });
  Temp ts{kScratchA}, td{kScratchOut};
  memory src = input(f.src, f32(info[0]), ts);
  double weightsId = optionalNumber(info, 6);
  memory wei(f.wei.user, e, f32(info[1]));
  if (f.wei.needReorder) {
    memory cached(f.wei.prim, e, f.weights.get(f.wei.prim.get_size()));
    if (weightsId <= 0 || weightsId != f.weightsId) {
      f.weightsId = 0;  // until the reorder has completed
      f.wei.r.execute(cpuStream(), wei, cached);
      f.weightsId = weightsId;
    }
    wei = cached;
  }
  memory dst = outputMem(f.dst, f32(info[3]), td);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (hasBias) args.emplace(DNNL_ARG_BIAS, memory(md({s.oc}, tag::x), e, f32(info[2])));
  f.prim.execute(cpuStream(), args);
  finish(f.dst, f32(info[3]), td);
  cpuStream().wait();
  return info.Env().Undefined();
}

// conv2dBackpropInput(dy, w, dx, shape[17])
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  ConvShape s = shapeOf(info[3]);
  auto& e = cpuEngine();
  BwdData& b = bwdDataCache.get(s.k(kBwdData, 0), [&] {
    auto hint = convolution_forward::primitive_desc(fwdDesc(s, false, kBwdData), e);
    tag act = s.blocked(kBwdData) ? tag::any : tag::nhwc;
    convolution_backward_data::desc d(algorithm::convolution_direct, md(s.src(), act), md(s.wei(), tag::any),
                                      md(s.dst(), act), s.strides(), s.dil(), s.padL(), s.padR());
    auto pd = convolution_backward_data::primitive_desc(d, e, hint);
    BwdData r{pd, convolution_backward_data(pd), {}, {}, {}};
    r.dy.init(md(s.dst(), tag::nhwc), pd.diff_dst_desc(), true);
    r.wei.init(md(s.wei(), tag::hwio), pd.weights_desc(), true);
    r.dx.init(md(s.src(), tag::nhwc), pd.diff_src_desc(), false);
    return r;
  });
  Temp tdy{kScratchA}, tw{kScratchB}, tdx{kScratchOut};
  memory dy = input(b.dy, f32(info[0]), tdy);
  memory wei = input(b.wei, f32(info[1]), tw);
  memory dx = outputMem(b.dx, f32(info[2]), tdx);
  b.prim.execute(cpuStream(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, dx}});
  finish(b.dx, f32(info[2]), tdx);
  cpuStream().wait();
  return info.Env().Undefined();
}

// conv2dBackpropFilter(x, dy, dw, shape[17])
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  ConvShape s = shapeOf(info[3]);
  auto& e = cpuEngine();
  BwdWeights& b = bwdWeightsCache.get(s.k(kBwdWeights, 0), [&] {
    auto hint = convolution_forward::primitive_desc(fwdDesc(s, false, kBwdWeights), e);
    tag act = s.blocked(kBwdWeights) ? tag::any : tag::nhwc;
    convolution_backward_weights::desc d(algorithm::convolution_direct, md(s.src(), act), md(s.wei(), tag::any),
                                         md(s.dst(), act), s.strides(), s.dil(), s.padL(), s.padR());
    auto pd = convolution_backward_weights::primitive_desc(d, e, hint);
    // oneDNN 2.6's jit_1x1 backward-weights kernel returns wrong sums for strided 1x1 convolutions
    // on NHWC input with batch > 1 (ResNet's downsample shortcuts); take the next implementation.
    if (s.kh == 1 && s.kw == 1 && (s.sh > 1 || s.sw > 1) && !s.blocked(kBwdWeights)) {
      while (std::string(pd.impl_info_str()).find("1x1") != std::string::npos && pd.next_impl()) {
      }
    }
    BwdWeights r{pd, convolution_backward_weights(pd), {}, {}, {}};
    r.src.init(md(s.src(), tag::nhwc), pd.src_desc(), true);
    r.dy.init(md(s.dst(), tag::nhwc), pd.diff_dst_desc(), true);
    r.dw.init(md(s.wei(), tag::hwio), pd.diff_weights_desc(), false);
    return r;
  });
  Temp tx{kScratchA}, tdy{kScratchB}, tdw{kScratchOut};
  memory x = input(b.src, f32(info[0]), tx);
  memory dy = input(b.dy, f32(info[1]), tdy);
  memory dw = outputMem(b.dw, f32(info[2]), tdw);
  b.prim.execute(cpuStream(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
  finish(b.dw, f32(info[2]), tdw);
  cpuStream().wait();
  return info.Env().Undefined();
}

// setConvLayout("auto" | "nhwc" | "blocked").
Napi::Value SetConvLayout(const Napi::CallbackInfo& info) {
  std::string v = info[0].As<Napi::String>().Utf8Value();
  if (v == "auto") {
    g_layout = Layout::kAuto;
  } else if (v == "nhwc" || v == "blocked") {
    g_layout = v == "blocked" ? Layout::kBlocked : Layout::kNhwc;
  } else {
    throw Napi::Error::New(info.Env(), "conv layout must be 'auto', 'nhwc' or 'blocked'");
  }
  return info.Env().Undefined();
}

// Names of the implementations oneDNN picked, for the docs/profile ("jit:avx2" vs "ref").
Napi::Value ConvImpls(const Napi::CallbackInfo& info) {
  auto out = Napi::Array::New(info.Env());
  uint32_t i = 0;
  for (auto& [k, v] : fwdCache.map) out.Set(i++, Napi::String::New(info.Env(), "fwd " + k + " " + v->pd.impl_info_str()));
  for (auto& [k, v] : bwdDataCache.map) out.Set(i++, Napi::String::New(info.Env(), "bwd_d " + k + " " + v->pd.impl_info_str()));
  for (auto& [k, v] : bwdWeightsCache.map) out.Set(i++, Napi::String::New(info.Env(), "bwd_w " + k + " " + v->pd.impl_info_str()));
  return out;
}

}  // namespace

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", NB_FN(env, Conv2d));
  exports.Set("conv2dBackpropInput", NB_FN(env, Conv2dBackpropInput));
  exports.Set("conv2dBackpropFilter", NB_FN(env, Conv2dBackpropFilter));
  exports.Set("setConvLayout", NB_FN(env, SetConvLayout));
  exports.Set("convImpls", NB_FN(env, ConvImpls));
}

}  // namespace nb
