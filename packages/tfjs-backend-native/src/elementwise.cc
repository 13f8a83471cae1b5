// Memory-bound kernels over large activations, written as plain OpenMP loops the compiler
// vectorises: unary/binary elementwise (same shape, per-channel or scalar broadcast), ReLU's
// gradient in one pass, sums over leading/trailing axes, and 4-D pad/slice (ZeroPadding2D and
// its gradient). These run at memory bandwidth; the pure-JS versions are 5-50x slower.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.h"

namespace nb {
namespace {

// Rows below this many elements run on one thread: forking costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

template <class F>
void unaryLoop(const float* x, float* o, int64_t n, F f) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; i++) o[i] = f(x[i]);
}

// unary(op, x, out, alpha). op: 0 relu, 1 step, 2 square, 3 sqrt, 4 neg, 5 rsqrt, 6 exp, 7 abs
Napi::Value Unary(const Napi::CallbackInfo& info) {
  int op = (int)i64(info[0]);
  const float* x = f32(info[1]);
  float* o = f32(info[2]);
  int64_t n = (int64_t)len(info[2]);
  float alpha = num(info[3]);
  switch (op) {
    case 0: unaryLoop(x, o, n, [](float v) { return v > 0.f ? v : 0.f; }); break;
    case 1: unaryLoop(x, o, n, [alpha](float v) { return std::isnan(v) ? v : (v > 0.f ? 1.f : alpha); }); break;
    case 2: unaryLoop(x, o, n, [](float v) { return v * v; }); break;
    case 3: unaryLoop(x, o, n, [](float v) { return std::sqrt(v); }); break;
    case 4: unaryLoop(x, o, n, [](float v) { return -v; }); break;
    case 5: unaryLoop(x, o, n, [](float v) { return 1.f / std::sqrt(v); }); break;
    case 6: unaryLoop(x, o, n, [](float v) { return std::exp(v); }); break;
    case 7: unaryLoop(x, o, n, [](float v) { return std::fabs(v); }); break;
    default: throw Napi::Error::New(info.Env(), "unknown unary op");
  }
  return info.Env().Undefined();
}

// mode 0: same shape; 1: b has `c` values repeated along rows; 2: a has `c` values; 3: b scalar; 4: a scalar.
template <class F>
void binaryLoop(const float* a, const float* b, float* o, int64_t n, int64_t c, int mode, F f) {
  switch (mode) {
    case 0: {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
      for (int64_t i = 0; i < n; i++) o[i] = f(a[i], b[i]);
      break;
    }
    case 1:
    case 2: {
      int64_t rows = n / c;
#pragma omp parallel for schedule(static) if (n > kParallelMin)
      for (int64_t r = 0; r < rows; r++) {
        const int64_t off = r * c;
        if (mode == 1) {
#pragma omp simd
          for (int64_t j = 0; j < c; j++) o[off + j] = f(a[off + j], b[j]);
        } else {
#pragma omp simd
          for (int64_t j = 0; j < c; j++) o[off + j] = f(a[j], b[off + j]);
        }
      }
      break;
    }
    case 3: {
      const float s = b[0];
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
      for (int64_t i = 0; i < n; i++) o[i] = f(a[i], s);
      break;
    }
    case 4: {
      const float s = a[0];
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
      for (int64_t i = 0; i < n; i++) o[i] = f(s, b[i]);
      break;
    }
  }
}

// binary(op, a, b, out, mode, c). op: 0 add, 1 sub, 2 mul, 3 div, 4 squared difference, 5 max, 6 min
Napi::Value Binary(const Napi::CallbackInfo& info) {
  int op = (int)i64(info[0]);
  const float* a = f32(info[1]);
  const float* b = f32(info[2]);
  float* o = f32(info[3]);
  int mode = (int)i64(info[4]);
  int64_t c = i64(info[5]);
  int64_t n = (int64_t)len(info[3]);
  switch (op) {
    case 0: binaryLoop(a, b, o, n, c, mode, [](float x, float y) { return x + y; }); break;
    case 1: binaryLoop(a, b, o, n, c, mode, [](float x, float y) { return x - y; }); break;
    case 2: binaryLoop(a, b, o, n, c, mode, [](float x, float y) { return x * y; }); break;
    case 3: binaryLoop(a, b, o, n, c, mode, [](float x, float y) { return x / y; }); break;
    case 4: binaryLoop(a, b, o, n, c, mode, [](float x, float y) { return (x - y) * (x - y); }); break;
    case 5: binaryLoop(a, b, o, n, c, mode, [](float x, float y) { return std::isnan(x) || x > y ? x : y; }); break;
    case 6: binaryLoop(a, b, o, n, c, mode, [](float x, float y) { return std::isnan(x) || x < y ? x : y; }); break;
    default: throw Napi::Error::New(info.Env(), "unknown binary op");
  }
  return info.Env().Undefined();
}

// reluGrad(dy, y_or_x, out): dy where the ReLU input was positive (one pass instead of step+cast+mul).
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0]);
  const float* x = f32(info[1]);
  float* o = f32(info[2]);
  int64_t n = (int64_t)len(info[2]);
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; i++) o[i] = x[i] > 0.f ? dy[i] : 0.f;
  return info.Env().Undefined();
}

}  // namespace

// Column sums of a row-major [rows, cols] matrix into `out` (double), each thread summing a
// contiguous block of rows in float over 64-row tiles, then merged in double for accuracy.
void sumRows(const float* x, int64_t rows, int64_t cols, double* out) {
  int nt = (rows * cols > kParallelMin) ? omp_get_max_threads() : 1;
  std::vector<double> part((size_t)nt * cols, 0.0);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
    std::vector<float> acc(cols);
    double* p = &part[(size_t)t * cols];
    for (int64_t r = r0; r < r1; r += 64) {
      std::fill(acc.begin(), acc.end(), 0.f);
      int64_t re = std::min(r1, r + 64);
      for (int64_t i = r; i < re; i++) {
        const float* xi = x + i * cols;
#pragma omp simd
        for (int64_t j = 0; j < cols; j++) acc[j] += xi[j];
      }
      for (int64_t j = 0; j < cols; j++) p[j] += acc[j];
    }
  }
  std::fill(out, out + cols, 0.0);
  for (int t = 0; t < nt; t++)
    for (int64_t j = 0; j < cols; j++) out[j] += part[(size_t)t * cols + j];
}

namespace {

// reduceRows(x, rows, cols, out, scale): out[j] = scale * sum_i x[i, j]  (Sum/Mean over leading axes)
Napi::Value ReduceRows(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  int64_t rows = i64(info[1]), cols = i64(info[2]);
  float* o = f32(info[3]);
  double scale = info[4].As<Napi::Number>().DoubleValue();
  std::vector<double> s(cols);
  sumRows(x, rows, cols, s.data());
  for (int64_t j = 0; j < cols; j++) o[j] = (float)(s[j] * scale);
  return info.Env().Undefined();
}

// reduceCols(x, rows, cols, out, scale): out[i] = scale * sum_j x[i, j]  (Sum/Mean over trailing axes)
Napi::Value ReduceCols(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  int64_t rows = i64(info[1]), cols = i64(info[2]);
  float* o = f32(info[3]);
  double scale = info[4].As<Napi::Number>().DoubleValue();
#pragma omp parallel for schedule(static) if (rows * cols > kParallelMin)
  for (int64_t i = 0; i < rows; i++) {
    const float* xi = x + i * cols;
    double s = 0;
    float acc = 0.f;
    for (int64_t j = 0; j < cols; j++) {
      acc += xi[j];
      if ((j & 1023) == 1023) { s += acc; acc = 0.f; }
    }
    o[i] = (float)((s + acc) * scale);
  }
  return info.Env().Undefined();
}

// pad4d(x, [n,h,w,c], out, [before0..3], [after0..3], value): constant padding of a 4-D tensor.
Napi::Value Pad4d(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  auto sh = info[1].As<Napi::Array>();
  float* o = f32(info[2]);
  auto be = info[3].As<Napi::Array>();
  float value = num(info[5]);
  int64_t d[4], b[4], od[4];
  auto af = info[4].As<Napi::Array>();
  for (uint32_t i = 0; i < 4; i++) {
    d[i] = sh.Get(i).As<Napi::Number>().Int64Value();
    b[i] = be.Get(i).As<Napi::Number>().Int64Value();
    od[i] = d[i] + b[i] + af.Get(i).As<Napi::Number>().Int64Value();
  }
  int64_t outRows = od[0] * od[1] * od[2];
#pragma omp parallel for schedule(static) if (outRows * od[3] > kParallelMin)
  for (int64_t r = 0; r < outRows; r++) {
    int64_t ow = r % od[2], oh = (r / od[2]) % od[1], on = r / (od[2] * od[1]);
    int64_t in = on - b[0], ih = oh - b[1], iw = ow - b[2];
    float* orow = o + r * od[3];
    if (in < 0 || in >= d[0] || ih < 0 || ih >= d[1] || iw < 0 || iw >= d[2]) {
      std::fill(orow, orow + od[3], value);
      continue;
    }
    const float* irow = x + ((in * d[1] + ih) * d[2] + iw) * d[3];
    std::fill(orow, orow + b[3], value);
    std::memcpy(orow + b[3], irow, sizeof(float) * d[3]);
    std::fill(orow + b[3] + d[3], orow + od[3], value);
  }
  return info.Env().Undefined();
}

// slice4d(x, [n,h,w,c], out, [begin0..3], [size0..3])
Napi::Value Slice4d(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  auto sh = info[1].As<Napi::Array>();
  float* o = f32(info[2]);
  auto be = info[3].As<Napi::Array>();
  auto sz = info[4].As<Napi::Array>();
  int64_t d[4], b[4], s[4];
  for (uint32_t i = 0; i < 4; i++) {
    d[i] = sh.Get(i).As<Napi::Number>().Int64Value();
    b[i] = be.Get(i).As<Napi::Number>().Int64Value();
    s[i] = sz.Get(i).As<Napi::Number>().Int64Value();
  }
  int64_t outRows = s[0] * s[1] * s[2];
#pragma omp parallel for schedule(static) if (outRows * s[3] > kParallelMin)
  for (int64_t r = 0; r < outRows; r++) {
    int64_t ow = r % s[2], oh = (r / s[2]) % s[1], on = r / (s[2] * s[1]);
    const float* irow = x + (((on + b[0]) * d[1] + oh + b[1]) * d[2] + ow + b[2]) * d[3] + b[3];
    std::memcpy(o + r * s[3], irow, sizeof(float) * s[3]);
  }
  return info.Env().Undefined();
}

// adam(g, m, v, w, mOut, vOut, wOut, [beta1, beta2, 1-beta1, 1-beta2, 1-beta1^t, 1-beta2^t, -lr, eps]): tf.train.adam's
// update for one variable in one pass, with the same operation order as tfjs-core's AdamOptimizer.
Napi::Value Adam(const Napi::CallbackInfo& info) {
  const float* g = f32(info[0]);
  const float* m = f32(info[1]);
  const float* v = f32(info[2]);
  const float* w = f32(info[3]);
  float* mo = f32(info[4]);
  float* vo = f32(info[5]);
  float* wo = f32(info[6]);
  auto p = info[7].As<Napi::Array>();
  float h[8];
  for (uint32_t i = 0; i < 8; i++) h[i] = p.Get(i).As<Napi::Number>().FloatValue();
  const float b1 = h[0], b2 = h[1], ob1 = h[2], ob2 = h[3], c1 = h[4], c2 = h[5], nlr = h[6], eps = h[7];
  int64_t n = (int64_t)len(info[0]);
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; i++) {
    float mi = m[i] * b1 + g[i] * ob1;
    float vi = v[i] * b2 + (g[i] * g[i]) * ob2;
    mo[i] = mi;
    vo[i] = vi;
    wo[i] = ((mi / c1) / (std::sqrt(vi / c2) + eps)) * nlr + w[i];
  }
  return info.Env().Undefined();
}

}  // namespace

void registerElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", NB_FN(env, Unary));
  exports.Set("binary", NB_FN(env, Binary));
  exports.Set("reluGrad", NB_FN(env, ReluGrad));
  exports.Set("reduceRows", NB_FN(env, ReduceRows));
  exports.Set("reduceCols", NB_FN(env, ReduceCols));
  exports.Set("pad4d", NB_FN(env, Pad4d));
  exports.Set("slice4d", NB_FN(env, Slice4d));
  exports.Set("adam", NB_FN(env, Adam));
}

}  // namespace nb
