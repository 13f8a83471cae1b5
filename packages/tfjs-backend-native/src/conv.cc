// Conv2D forward (optionally fused bias + ReLU), backward-data and backward-weights on oneDNN.
// Activations stay NHWC (TF.js's layout) so no activation reorders are needed when oneDNN has an
// NHWC kernel (it does on AVX2/AVX-512); filters arrive HWIO and are reordered into whatever
// blocked layout the chosen kernel wants (filters are small next to activations).
#include "common.h"

namespace nb {
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

struct ConvShape {
  int64_t n, ih, iw, ic, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  memory::dims src() const { return {n, ic, ih, iw}; }
  memory::dims wei() const { return {oc, ic, kh, kw}; }
  memory::dims dst() const { return {n, oc, oh, ow}; }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dil() const { return {dh - 1, dw - 1}; }  // TF counts dilation from 1, oneDNN from 0
  memory::dims padL() const { return {pt, pl}; }
  memory::dims padR() const { return {pb, pr}; }
  std::string k(int64_t extra) const {
    return key({n, ih, iw, ic, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr, extra});
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

convolution_forward::desc fwdDesc(const ConvShape& s, bool bias) {
  if (bias)
    return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct,
                                     md(s.src(), tag::nhwc), md(s.wei(), tag::any), md({s.oc}, tag::x),
                                     md(s.dst(), tag::nhwc), s.strides(), s.dil(), s.padL(), s.padR());
  return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct,
                                   md(s.src(), tag::nhwc), md(s.wei(), tag::any), md(s.dst(), tag::nhwc),
                                   s.strides(), s.dil(), s.padL(), s.padR());
}

// Weights in the user's HWIO layout, reordered to/from the primitive's preferred layout if it differs.
struct Weights {
  memory::desc user, prim;
  bool needReorder = false;
  reorder toPrim, toUser;
  Scratch buf;
  void init(const memory::dims& dims, const memory::desc& primMd, bool userToPrim) {
    user = md(dims, tag::hwio);
    prim = primMd;
    needReorder = user != prim;
    if (!needReorder) return;
    auto& e = cpuEngine();
    if (userToPrim) toPrim = reorder(reorder::primitive_desc(e, user, e, prim));
    else toUser = reorder(reorder::primitive_desc(e, prim, e, user));
  }
};

struct Fwd {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
  Weights w;
};

struct BwdData {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
  Weights w;
};

struct BwdWeights {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
  Weights w;
};

Cache<Fwd> fwdCache;
Cache<BwdData> bwdDataCache;
Cache<BwdWeights> bwdWeightsCache;

// conv2d(x, w, bias|null, out, shape[17], relu)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  ConvShape s = shapeOf(info[4]);
  bool hasBias = !isNull(info[2]);
  bool relu = info[5].As<Napi::Boolean>().Value();
  auto& e = cpuEngine();
  Fwd& f = fwdCache.get(s.k(hasBias * 2 + relu), [&] {
    primitive_attr attr;
    if (relu) {
      post_ops po;
      po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(po);
    }
    auto pd = convolution_forward::primitive_desc(fwdDesc(s, hasBias), attr, e);
    Fwd r{pd, convolution_forward(pd), {}};
    r.w.init(s.wei(), pd.weights_desc(), true);
    return r;
  });
  memory src(md(s.src(), tag::nhwc), e, f32(info[0]));
  memory dst(md(s.dst(), tag::nhwc), e, f32(info[3]));
  memory wUser(f.w.user, e, f32(info[1]));
  memory wPrim = wUser;
  if (f.w.needReorder) {
    wPrim = memory(f.w.prim, e, f.w.buf.get(f.w.prim.get_size()));
    f.w.toPrim.execute(cpuStream(), wUser, wPrim);
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wPrim}, {DNNL_ARG_DST, dst}};
  if (hasBias) args.emplace(DNNL_ARG_BIAS, memory(md({s.oc}, tag::x), e, f32(info[2])));
  f.prim.execute(cpuStream(), args);
  cpuStream().wait();
  return info.Env().Undefined();
}

// conv2dBackpropInput(dy, w, dx, shape[17])
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  ConvShape s = shapeOf(info[3]);
  auto& e = cpuEngine();
  BwdData& b = bwdDataCache.get(s.k(0), [&] {
    auto hint = convolution_forward::primitive_desc(fwdDesc(s, false), e);
    convolution_backward_data::desc d(algorithm::convolution_direct, md(s.src(), tag::nhwc), md(s.wei(), tag::any),
                                      md(s.dst(), tag::nhwc), s.strides(), s.dil(), s.padL(), s.padR());
    auto pd = convolution_backward_data::primitive_desc(d, e, hint);
    BwdData r{pd, convolution_backward_data(pd), {}};
    r.w.init(s.wei(), pd.weights_desc(), true);
    return r;
  });
  memory dy(md(s.dst(), tag::nhwc), e, f32(info[0]));
  memory dx(md(s.src(), tag::nhwc), e, f32(info[2]));
  memory wUser(b.w.user, e, f32(info[1]));
  memory wPrim = wUser;
  if (b.w.needReorder) {
    wPrim = memory(b.w.prim, e, b.w.buf.get(b.w.prim.get_size()));
    b.w.toPrim.execute(cpuStream(), wUser, wPrim);
  }
  b.prim.execute(cpuStream(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, wPrim}, {DNNL_ARG_DIFF_SRC, dx}});
  cpuStream().wait();
  return info.Env().Undefined();
}

// conv2dBackpropFilter(x, dy, dw, shape[17])
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  ConvShape s = shapeOf(info[3]);
  auto& e = cpuEngine();
  BwdWeights& b = bwdWeightsCache.get(s.k(0), [&] {
    auto hint = convolution_forward::primitive_desc(fwdDesc(s, false), e);
    convolution_backward_weights::desc d(algorithm::convolution_direct, md(s.src(), tag::nhwc),
                                         md(s.wei(), tag::any), md(s.dst(), tag::nhwc), s.strides(), s.dil(),
                                         s.padL(), s.padR());
    auto pd = convolution_backward_weights::primitive_desc(d, e, hint);
    // oneDNN 2.6's jit_1x1 backward-weights kernel returns wrong sums for strided 1x1 convolutions
    // on NHWC input with batch > 1 (ResNet's downsample shortcuts); take the next implementation.
    if (s.kh == 1 && s.kw == 1 && (s.sh > 1 || s.sw > 1)) {
      while (std::string(pd.impl_info_str()).find("1x1") != std::string::npos && pd.next_impl()) {
      }
    }
    BwdWeights r{pd, convolution_backward_weights(pd), {}};
    r.w.init(s.wei(), pd.diff_weights_desc(), false);
    return r;
  });
  memory x(md(s.src(), tag::nhwc), e, f32(info[0]));
  memory dy(md(s.dst(), tag::nhwc), e, f32(info[1]));
  memory dwUser(b.w.user, e, f32(info[2]));
  memory dwPrim = dwUser;
  if (b.w.needReorder) dwPrim = memory(b.w.prim, e, b.w.buf.get(b.w.prim.get_size()));
  b.prim.execute(cpuStream(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dwPrim}});
  if (b.w.needReorder) b.w.toUser.execute(cpuStream(), dwPrim, dwUser);
  cpuStream().wait();
  return info.Env().Undefined();
}

// Names of the implementations oneDNN picked, for the docs/profile ("brg:avx512_core" vs "ref").
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
  exports.Set("convImpls", NB_FN(env, ConvImpls));
}

}  // namespace nb
