// BatchMatMul on oneDNN's matmul primitive. Transposes are expressed as strides on the memory
// descriptors, so no transposed copy is made; a batch of 1 on either side broadcasts.
#include "common.h"

namespace nb {
using namespace dnnl;
using dt = memory::data_type;

namespace {

struct MM {
  matmul::primitive_desc pd;
  matmul prim;
  memory::desc a, b, c;
};
Cache<MM> cache;

// batchMatMul(a, b, out, [batchA, batchB, m, k, n, transA, transB])
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  auto s = info[3].As<Napi::Array>();
  int64_t v[7];
  for (uint32_t i = 0; i < 7; i++) v[i] = s.Get(i).As<Napi::Number>().Int64Value();
  int64_t ba = v[0], bb = v[1], m = v[2], k = v[3], n = v[4], ta = v[5], tb = v[6];
  int64_t bc = std::max(ba, bb);
  auto& e = cpuEngine();
  MM& mm = cache.get(key({ba, bb, m, k, n, ta, tb}), [&] {
    memory::desc a({ba, m, k}, dt::f32, ta ? memory::dims{m * k, 1, m} : memory::dims{m * k, k, 1});
    memory::desc b({bb, k, n}, dt::f32, tb ? memory::dims{k * n, 1, k} : memory::dims{k * n, n, 1});
    memory::desc c({bc, m, n}, dt::f32, memory::dims{m * n, n, 1});
    auto pd = matmul::primitive_desc(matmul::desc(a, b, c), e);
    return MM{pd, matmul(pd), a, b, c};
  });
  memory a(mm.a, e, f32(info[0])), b(mm.b, e, f32(info[1])), c(mm.c, e, f32(info[2]));
  mm.prim.execute(cpuStream(), {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
  cpuStream().wait();
  return info.Env().Undefined();
}

}  // namespace

void registerMatMul(Napi::Env env, Napi::Object exports) {
  exports.Set("batchMatMul", NB_FN(env, BatchMatMul));
}

}  // namespace nb
