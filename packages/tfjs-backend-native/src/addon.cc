// Module entry: one CPU engine + stream for the process, thread control, and error translation
// (oneDNN throws dnnl::error; node-addon-api turns C++ exceptions into JS errors).
#include <malloc.h>
#include <omp.h>
#include <sys/mman.h>

#include <cstdint>

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

// adviseHugePages(arrayBuffer): asks for transparent huge pages over the buffer's 2 MB-aligned
// interior before anything touches it. Activations are streamed through by every layer; with 4 KB
// pages that is a TLB miss per 4 KB. Returns the bytes advised (0 where the kernel says no).
Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  auto buf = info[0].As<Napi::ArrayBuffer>();
  const uintptr_t huge = 2u << 20;
  uintptr_t begin = ((uintptr_t)buf.Data() + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)buf.Data() + buf.ByteLength()) & ~(huge - 1);
  if (end <= begin || madvise((void*)begin, end - begin, MADV_HUGEPAGE) != 0) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), (double)(end - begin));
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
  exports.Set("adviseHugePages", NB_FN(env, nb::AdviseHugePages));
  return exports;
}

NODE_API_MODULE(tfjs_native, Init)
