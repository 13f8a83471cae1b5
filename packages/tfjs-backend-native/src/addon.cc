// Module entry: one CPU engine + stream for the process, thread control, and error translation
// (oneDNN throws dnnl::error; node-addon-api turns C++ exceptions into JS errors).
#include <malloc.h>
#include <omp.h>

#include "common.h"

namespace nb {

dnnl::engine& cpuEngine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& cpuStream() {
  static dnnl::stream s(cpuEngine());
  return s;
}

namespace {

// setThreads(n): oneDNN (OpenMP build on Debian) and our loops share the OpenMP pool.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads((int)i64(info[0]));
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  auto o = Napi::Object::New(info.Env());
  o.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("cpuRuntime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "tbb" : "other");
  o.Set("isa", (int)dnnl::get_effective_cpu_isa());
  return o;
}

}  // namespace
}  // namespace nb

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Tensor buffers (V8 ArrayBuffers are calloc'd) of 4 MB and up get their own mappings, returned
  // to the OS when freed; otherwise glibc's adaptive threshold rises to 32 MB and freed activations
  // stay in the heap, inflating RSS by gigabytes at batch 64.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  nb::registerConv(env, exports);
  nb::registerPool(env, exports);
  nb::registerMatMul(env, exports);
  nb::registerElementwise(env, exports);
  nb::registerBatchNorm(env, exports);
  exports.Set("setThreads", NB_FN(env, nb::SetThreads));
  exports.Set("getThreads", NB_FN(env, nb::GetThreads));
  exports.Set("version", NB_FN(env, nb::Version));
  return exports;
}

NODE_API_MODULE(tfjs_native, Init)
