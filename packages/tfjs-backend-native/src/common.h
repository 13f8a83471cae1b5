// Shared helpers for the oneDNN-backed TF.js kernels: the engine/stream singletons, argument
// unpacking (zero-copy: Float32Array views straight into tensor storage) and a primitive cache.
#pragma once
#include <napi.h>
#include <dnnl.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace nb {

dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

inline float* f32(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
inline size_t len(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }
inline int64_t i64(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
inline float num(const Napi::Value& v) { return v.As<Napi::Number>().FloatValue(); }
inline bool isNull(const Napi::Value& v) { return v.IsNull() || v.IsUndefined(); }

// Key for the primitive caches: every integer that shapes a primitive.
inline std::string key(std::initializer_list<int64_t> parts) {
  std::string k;
  for (int64_t p : parts) { k += std::to_string(p); k += ','; }
  return k;
}

// Primitives are cached by shape (ResNet18 has a few dozen distinct ones); creation costs far
// more than execution for small layers, and the JIT'd code is reused across steps.
template <class T>
struct Cache {
  std::unordered_map<std::string, std::shared_ptr<T>> map;
  template <class F>
  T& get(const std::string& k, F make) {
    auto it = map.find(k);
    if (it != map.end()) return *it->second;
    auto p = std::make_shared<T>(make());
    map.emplace(k, p);
    return *p;
  }
};

// A grow-only buffer kept between calls (a cache entry's reordered weights or workspace, or a
// reorder temporary): allocating per call mapped and faulted in fresh pages every time, hundreds of
// MB per layer at batch 64. Contents are not kept when it grows; users write before they read.
struct Scratch {
  std::unique_ptr<float[]> buf;
  size_t bytes = 0;
  float* get(size_t want) {
    if (bytes < want) {
      buf.reset();  // free the old one before the larger one is mapped
      buf.reset(new float[want / sizeof(float) + 1]);
      bytes = want;
    }
    return buf.get();
  }
};

// Shared scratch for reorder temporaries. Kernels run synchronously on the JS thread, so each slot
// has one user at a time; a kernel uses distinct slots for the temporaries it needs at once.
enum ScratchSlot { kScratchA = 0, kScratchB = 1, kScratchOut = 2, kScratchSlots = 3 };
inline float* scratch(ScratchSlot slot, size_t bytes) {
  static Scratch slots[kScratchSlots];
  return slots[slot].get(bytes);
}

// An optional trailing number argument (ids the JS side passes to name tensor contents), or 0.
inline double optionalNumber(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : 0;
}

// Runs a reorder from `from` memory into `to` memory.
inline void reorderInto(dnnl::memory& from, dnnl::memory& to) {
  dnnl::reorder(from, to).execute(cpuStream(), from, to);
}

// Every exported kernel goes through this: oneDNN and the STL throw C++ exceptions, which
// node-addon-api only converts when they are Napi::Error.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what() + " (status " + std::to_string((int)e.status) + ")");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("tfjs-backend-native: ") + e.what());
  }
}
#define NB_FN(env, F) Napi::Function::New(env, ::nb::guarded<F>)

void registerConv(Napi::Env env, Napi::Object exports);
void registerPool(Napi::Env env, Napi::Object exports);
void registerMatMul(Napi::Env env, Napi::Object exports);
void registerElementwise(Napi::Env env, Napi::Object exports);
void registerBatchNorm(Napi::Env env, Napi::Object exports);

}  // namespace nb
