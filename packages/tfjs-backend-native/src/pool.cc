// Max pooling forward and backward (NHWC) on oneDNN. The backward needs the forward's argmax
// workspace, which TF.js does not carry from one kernel to the other: each shape keeps the
// workspace of its latest forward with the id of that forward's input (lib/util.js contentId), and
// the backward re-runs the forward only when its input is another one.
#include "common.h"

namespace nb {
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// shape[13]: n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr  (14 values)
struct PoolShape {
  int64_t n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr;
};

PoolShape shapeOf(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  int64_t x[14];
  for (uint32_t i = 0; i < 14; i++) x[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return {x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11], x[12], x[13]};
}

memory::desc md(const memory::dims& d) { return memory::desc(d, dt::f32, tag::nhwc); }

struct Pool {
  pooling_forward::primitive_desc fwdPd;
  pooling_forward fwd;
  pooling_backward::primitive_desc bwdPd;
  pooling_backward bwd;
  Scratch ws;
  double wsInput = 0;  // contentId of the input the workspace belongs to; 0: none
};

Cache<Pool> cache;

Pool& get(const PoolShape& s) {
  return cache.get(key({s.n, s.ih, s.iw, s.c, s.oh, s.ow, s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.pb, s.pr}), [&] {
    auto& e = cpuEngine();
    auto src = md({s.n, s.c, s.ih, s.iw});
    auto dst = md({s.n, s.c, s.oh, s.ow});
    pooling_forward::desc fd(prop_kind::forward_training, algorithm::pooling_max, src, dst, {s.sh, s.sw},
                             {s.kh, s.kw}, {s.pt, s.pl}, {s.pb, s.pr});
    auto fpd = pooling_forward::primitive_desc(fd, e);
    pooling_backward::desc bd(algorithm::pooling_max, src, dst, {s.sh, s.sw}, {s.kh, s.kw}, {s.pt, s.pl},
                              {s.pb, s.pr});
    auto bpd = pooling_backward::primitive_desc(bd, e, fpd);
    return Pool{fpd, pooling_forward(fpd), bpd, pooling_backward(bpd), {}, 0};
  });
}

// maxPool(x, out, shape[14], xId)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  PoolShape s = shapeOf(info[2]);
  Pool& p = get(s);
  auto& e = cpuEngine();
  memory src(p.fwdPd.src_desc(), e, f32(info[0]));
  memory dst(p.fwdPd.dst_desc(), e, f32(info[1]));
  memory ws(p.fwdPd.workspace_desc(), e, p.ws.get(p.fwdPd.workspace_desc().get_size()));
  p.wsInput = 0;
  p.fwd.execute(cpuStream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_WORKSPACE, ws}});
  cpuStream().wait();
  p.wsInput = optionalNumber(info, 3);
  return info.Env().Undefined();
}

// maxPoolGrad(dy, x, dx, shape[14], xId)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  PoolShape s = shapeOf(info[3]);
  Pool& p = get(s);
  auto& e = cpuEngine();
  memory ws(p.fwdPd.workspace_desc(), e, p.ws.get(p.fwdPd.workspace_desc().get_size()));
  double xId = optionalNumber(info, 4);
  if (xId <= 0 || xId != p.wsInput) {
    p.wsInput = 0;
    memory src(p.fwdPd.src_desc(), e, f32(info[1]));
    memory dst(p.fwdPd.dst_desc(), e, scratch(kScratchA, p.fwdPd.dst_desc().get_size()));
    p.fwd.execute(cpuStream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_WORKSPACE, ws}});
    p.wsInput = xId;
  }
  memory dy(p.bwdPd.diff_dst_desc(), e, f32(info[0]));
  memory dx(p.bwdPd.diff_src_desc(), e, f32(info[2]));
  p.bwd.execute(cpuStream(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_SRC, dx}, {DNNL_ARG_WORKSPACE, ws}});
  cpuStream().wait();
  return info.Env().Undefined();
}

}  // namespace

void registerPool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", NB_FN(env, MaxPool));
  exports.Set("maxPoolGrad", NB_FN(env, MaxPoolGrad));
}

}  // namespace nb
