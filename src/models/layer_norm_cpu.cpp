#include "models/layer_norm_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "util/bf16_bits.h"
#include "util/cpu_kernels_isa.h"

namespace gen {

namespace {

#define GEN_INLINE inline __attribute__((always_inline))

// Rows are read 8 floats at a time (one AVX2 vector; two SSE ones), and sums kept in 8 lanes
// plus a tail, added up in one fixed tree, so every instruction-set clone gives the same bits.
constexpr int64_t kLanes = 8;
typedef float V8 __attribute__((vector_size(32)));
typedef uint32_t U8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));
typedef uint16_t H8 __attribute__((vector_size(16)));

GEN_INLINE float lanes_total(const V8& acc, float tail) {
  return (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))) + tail;
}

// 8 values to float and back: float passes through; bf16 as c10::BFloat16 converts (nearest
// even, NaN kept).
GEN_INLINE V8 load8(const float* p) {
  V8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
GEN_INLINE V8 load8(const c10::BFloat16* p) {
  H8 h;
  std::memcpy(&h, p, sizeof h);
  return (V8)(__builtin_convertvector(h, U8) << 16);
}
GEN_INLINE void store8(float* p, const V8& v) { std::memcpy(p, &v, sizeof v); }
GEN_INLINE void store8(c10::BFloat16* p, const V8& v) {
  const U8 bits = (U8)v;
  const I8 nan = v != v;
  const U8 kept = (U8)((nan & kBf16NaNBits) | (~nan & (I8)bf16_nearest_bits(bits)));
  const H8 h = __builtin_convertvector(kept, H8);
  std::memcpy(p, &h, sizeof h);
}
GEN_INLINE float to_float(float v) { return v; }
GEN_INLINE float to_float(c10::BFloat16 v) { return float(v); }

struct Rows {
  int64_t count, width;
  float eps;
};

// Rows per task, and per partial sum of the weight and bias gradients.
constexpr int64_t kBlockRows = 32;

template <typename T>
GEN_INLINE void forward_rows(const float* x, const float* w, const float* b, const Rows& r, int64_t first,
                             int64_t last, T* y, float* mean_out, float* rstd_out) {
  const int64_t n = r.width, whole = n / kLanes * kLanes;
  for (int64_t row = first; row < last; ++row) {
    const float* in = x + row * n;
    T* out = y + row * n;
    // Two running sums each (two chains of adds, whose latency would otherwise bound the row).
    V8 acc = {}, acc1 = {};
    int64_t pair = 0;  // the first column after the whole pairs of vectors
    for (; pair + 2 * kLanes <= whole; pair += 2 * kLanes) {
      acc += load8(in + pair);
      acc1 += load8(in + pair + kLanes);
    }
    if (pair < whole) acc += load8(in + pair);
    acc += acc1;
    float tail = 0;
    for (int64_t j = whole; j < n; ++j) tail += in[j];
    const float mean = lanes_total(acc, tail) / float(n);
    V8 sq = {}, sq1 = {};
    for (int64_t j = 0; j < pair; j += 2 * kLanes) {
      const V8 d = load8(in + j) - mean, d1 = load8(in + j + kLanes) - mean;
      sq += d * d;
      sq1 += d1 * d1;
    }
    if (pair < whole) {
      const V8 d = load8(in + pair) - mean;
      sq += d * d;
    }
    sq += sq1;
    tail = 0;
    for (int64_t j = whole; j < n; ++j) tail += (in[j] - mean) * (in[j] - mean);
    const float rstd = 1.0f / std::sqrt(lanes_total(sq, tail) / float(n) + r.eps);
    for (int64_t j = 0; j < whole; j += kLanes) {
      V8 v = (load8(in + j) - mean) * rstd * load8(w + j);
      if (b) v += load8(b + j);
      store8(out + j, v);
    }
    for (int64_t j = whole; j < n; ++j) out[j] = T((in[j] - mean) * rstd * w[j] + (b ? b[j] : 0.0f));
    mean_out[row] = mean;
    rstd_out[row] = rstd;
  }
}

// dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy w and xhat = (x - mean) rstd; the
// rows' dy xhat and dy added into this block's partial weight and bias gradients.
template <typename T>
GEN_INLINE void backward_rows(const T* dy, const float* x, const float* w, const float* mean, const float* rstd,
                              const Rows& r, int64_t first, int64_t last, float* dx, float* dw, float* db) {
  const int64_t n = r.width, whole = n / kLanes * kLanes;
  for (int64_t row = first; row < last; ++row) {
    const T* g_row = dy + row * n;
    const float* in = x + row * n;
    const float m = mean[row], s = rstd[row];
    V8 sum_g = {}, sum_gx = {};
    for (int64_t j = 0; j < whole; j += kLanes) {
      const V8 d = load8(g_row + j);
      const V8 xhat = (load8(in + j) - m) * s;
      const V8 g = d * load8(w + j);
      sum_g += g;
      sum_gx += g * xhat;
      store8(dw + j, load8(dw + j) + d * xhat);
      store8(db + j, load8(db + j) + d);
    }
    float tail_g = 0, tail_gx = 0;
    for (int64_t j = whole; j < n; ++j) {
      const float d = to_float(g_row[j]);
      const float xhat = (in[j] - m) * s;
      tail_g += d * w[j];
      tail_gx += d * w[j] * xhat;
      dw[j] += d * xhat;
      db[j] += d;
    }
    const float mean_g = lanes_total(sum_g, tail_g) / float(n);
    const float mean_gx = lanes_total(sum_gx, tail_gx) / float(n);
    float* out = dx + row * n;
    for (int64_t j = 0; j < whole; j += kLanes) {
      const V8 xhat = (load8(in + j) - m) * s;
      store8(out + j, s * (load8(g_row + j) * load8(w + j) - mean_g - xhat * mean_gx));
    }
    for (int64_t j = whole; j < n; ++j) {
      const float xhat = (in[j] - m) * s;
      out[j] = s * (to_float(g_row[j]) * w[j] - mean_g - xhat * mean_gx);
    }
  }
}

// One block of rows, compiled for each instruction set with the row loops inlined.
template <typename T>
struct Block {
  static void forward(const float* x, const float* w, const float* b, const Rows& r, int64_t first, int64_t last,
                      T* y, float* mean, float* rstd) {
    forward_rows(x, w, b, r, first, last, y, mean, rstd);
  }
#if defined(__x86_64__)
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) static void forward_avx512(
      const float* x, const float* w, const float* b, const Rows& r, int64_t first, int64_t last, T* y, float* mean,
      float* rstd) {
    forward_rows(x, w, b, r, first, last, y, mean, rstd);
  }
  __attribute__((target("avx2,fma"))) static void forward_avx2(const float* x, const float* w, const float* b,
                                                              const Rows& r, int64_t first, int64_t last, T* y,
                                                              float* mean, float* rstd) {
    forward_rows(x, w, b, r, first, last, y, mean, rstd);
  }
#endif
  static void backward(const T* dy, const float* x, const float* w, const float* mean, const float* rstd,
                       const Rows& r, int64_t first, int64_t last, float* dx, float* dw, float* db) {
    backward_rows(dy, x, w, mean, rstd, r, first, last, dx, dw, db);
  }
#if defined(__x86_64__)
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) static void backward_avx512(
      const T* dy, const float* x, const float* w, const float* mean, const float* rstd, const Rows& r,
      int64_t first, int64_t last, float* dx, float* dw, float* db) {
    backward_rows(dy, x, w, mean, rstd, r, first, last, dx, dw, db);
  }
  __attribute__((target("avx2,fma"))) static void backward_avx2(const T* dy, const float* x, const float* w,
                                                               const float* mean, const float* rstd, const Rows& r,
                                                               int64_t first, int64_t last, float* dx, float* dw,
                                                               float* db) {
    backward_rows(dy, x, w, mean, rstd, r, first, last, dx, dw, db);
  }
#endif
};

template <typename T>
void forward_all(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, const Rows& r,
                 torch::Tensor& y, torch::Tensor& mean, torch::Tensor& rstd) {
  const float* in = x.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  const float* b = bias.defined() ? bias.data_ptr<float>() : nullptr;
  T* out = y.data_ptr<T>();
  float* m = mean.data_ptr<float>();
  float* s = rstd.data_ptr<float>();
  const std::string isa = cpu_kernels_isa();
  const int64_t blocks = (r.count + kBlockRows - 1) / kBlockRows;
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    const int64_t first = begin * kBlockRows, last = std::min(r.count, end * kBlockRows);
#if defined(__x86_64__)
    if (cpu_kernels_avx512(isa)) return Block<T>::forward_avx512(in, w, b, r, first, last, out, m, s);
    if (isa == "avx2") return Block<T>::forward_avx2(in, w, b, r, first, last, out, m, s);
#endif
    Block<T>::forward(in, w, b, r, first, last, out, m, s);
  });
}

// The weight and bias gradients as one partial sum per block of rows, added in block order.
template <typename T>
void backward_all(const torch::Tensor& dy, const torch::Tensor& x, const torch::Tensor& weight,
                  const torch::Tensor& mean, const torch::Tensor& rstd, const Rows& r, torch::Tensor& dx,
                  torch::Tensor& dw, torch::Tensor& db) {
  const T* g = dy.data_ptr<T>();
  const float* in = x.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  const float* m = mean.data_ptr<float>();
  const float* s = rstd.data_ptr<float>();
  float* out = dx.data_ptr<float>();
  const int64_t blocks = (r.count + kBlockRows - 1) / kBlockRows;
  std::vector<float> partial(size_t(2 * blocks * r.width), 0.0f);  // [block][dw | db]
  const std::string isa = cpu_kernels_isa();
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block) {
      const int64_t first = block * kBlockRows, last = std::min(r.count, first + kBlockRows);
      float* pw = partial.data() + 2 * block * r.width;
      float* pb = pw + r.width;
#if defined(__x86_64__)
      if (cpu_kernels_avx512(isa)) {
        Block<T>::backward_avx512(g, in, w, m, s, r, first, last, out, pw, pb);
        continue;
      }
      if (isa == "avx2") {
        Block<T>::backward_avx2(g, in, w, m, s, r, first, last, out, pw, pb);
        continue;
      }
#endif
      Block<T>::backward(g, in, w, m, s, r, first, last, out, pw, pb);
    }
  });
  float* gw = dw.data_ptr<float>();
  float* gb = db.data_ptr<float>();
  for (int64_t j = 0; j < r.width; ++j) gw[j] = gb[j] = 0.0f;
  for (int64_t block = 0; block < blocks; ++block) {
    const float* pw = partial.data() + 2 * block * r.width;
    for (int64_t j = 0; j < r.width; ++j) {
      gw[j] += pw[j];
      gb[j] += pw[r.width + j];
    }
  }
}

Rows rows_of(const torch::Tensor& x, double eps) {
  const int64_t width = x.size(-1);
  return Rows{x.numel() / width, width, float(eps)};  // width > 0: layer_norm_cpu_fits
}

struct LayerNormCpu : torch::autograd::Function<LayerNormCpu> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias, double eps,
                               torch::ScalarType out) {
    const torch::Tensor in = x.contiguous(), w = weight.contiguous();
    const bool has_bias = bias.numel() > 0;  // no bias comes as an empty placeholder (see below)
    const torch::Tensor b = has_bias ? bias.contiguous() : torch::Tensor();
    const Rows r = rows_of(in, eps);
    torch::Tensor y = torch::empty(in.sizes(), in.options().dtype(out));
    torch::Tensor mean = torch::empty({r.count}, in.options()), rstd = torch::empty({r.count}, in.options());
    if (out == torch::kBFloat16) {
      forward_all<c10::BFloat16>(in, w, b, r, y, mean, rstd);
    } else {
      forward_all<float>(in, w, b, r, y, mean, rstd);
    }
    ctx->save_for_backward({in, w, mean, rstd});
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["bias"] = has_bias;
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    TORCH_CHECK(!torch::GradMode::is_enabled(), "layer_norm_cpu: no double backward (create_graph)");
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &in = saved[0], &w = saved[1], &mean = saved[2], &rstd = saved[3];
    const Rows r = rows_of(in, ctx->saved_data["eps"].toDouble());
    const torch::Tensor dy = grads[0].contiguous();
    torch::Tensor dx = torch::empty_like(in), dw = torch::empty_like(w), db = torch::empty_like(w);
    if (dy.scalar_type() == torch::kBFloat16) {
      backward_all<c10::BFloat16>(dy, in, w, mean, rstd, r, dx, dw, db);
    } else {
      backward_all<float>(dy.to(torch::kFloat), in, w, mean, rstd, r, dx, dw, db);
    }
    const bool has_bias = ctx->saved_data["bias"].toBool();
    return {dx, dw, has_bias ? db : torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool layer_norm_cpu_fits(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const auto is_float_cpu = [](const torch::Tensor& t) { return t.is_cpu() && t.scalar_type() == torch::kFloat; };
  return x.defined() && weight.defined() && is_float_cpu(x) && is_float_cpu(weight) && x.dim() >= 1 &&
         weight.dim() == 1 && x.size(-1) == weight.size(0) && x.size(-1) > 0 &&
         (!bias.defined() || (is_float_cpu(bias) && bias.sizes() == weight.sizes()));
}

torch::Tensor layer_norm_cpu(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps,
                             torch::ScalarType out) {
  TORCH_CHECK(layer_norm_cpu_fits(x, weight, bias) && (out == torch::kFloat || out == torch::kBFloat16),
              "layer_norm_cpu: x ", x.sizes(), " of ", x.scalar_type(), " on ", x.device(), " into ", out,
              " is not a case it takes");
  RECORD_FUNCTION(kLayerNormCpuOp, std::vector<c10::IValue>({x}));
  // An undefined tensor cannot be an autograd input (it has no device); no bias is an empty one.
  return LayerNormCpu::apply(x, weight, bias.defined() ? bias : torch::empty({0}, weight.options()), eps, out);
}

}  // namespace gen
