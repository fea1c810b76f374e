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

// Rows are normalized kGroup at a time, each row's sums exactly as it would be alone (the same
// adds in the same order, so the same bits): one row's chains of dependent adds, about 200
// cycles for 128 columns, bound the loop otherwise, and a group's chains run side by side.
constexpr int kGroup = 4;

template <int R, typename T>
GEN_INLINE void forward_group(const float* x, const float* w, const float* b, const Rows& r, int64_t first, T* y,
                              float* mean_out, float* rstd_out) {
  const int64_t n = r.width, whole = n / kLanes * kLanes;
  const int64_t pair = whole / (2 * kLanes) * (2 * kLanes);  // the first column after the whole pairs of vectors
  const float* in[R];
  for (int i = 0; i < R; ++i) in[i] = x + (first + i) * n;
  // Two running sums each (two chains of adds per row).
  V8 acc[R], acc1[R];
  for (int i = 0; i < R; ++i) acc[i] = acc1[i] = V8{};
  for (int64_t j = 0; j < pair; j += 2 * kLanes) {
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) {
      acc[i] += load8(in[i] + j);
      acc1[i] += load8(in[i] + j + kLanes);
    }
  }
  float mean[R];
  for (int i = 0; i < R; ++i) {
    if (pair < whole) acc[i] += load8(in[i] + pair);
    acc[i] += acc1[i];
    float tail = 0;
    for (int64_t j = whole; j < n; ++j) tail += in[i][j];
    mean[i] = lanes_total(acc[i], tail) / float(n);
  }
  V8 sq[R], sq1[R];
  for (int i = 0; i < R; ++i) sq[i] = sq1[i] = V8{};
  for (int64_t j = 0; j < pair; j += 2 * kLanes) {
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) {
      const V8 d = load8(in[i] + j) - mean[i], d1 = load8(in[i] + j + kLanes) - mean[i];
      sq[i] += d * d;
      sq1[i] += d1 * d1;
    }
  }
  float rstd[R];
  for (int i = 0; i < R; ++i) {
    if (pair < whole) {
      const V8 d = load8(in[i] + pair) - mean[i];
      sq[i] += d * d;
    }
    sq[i] += sq1[i];
    float tail = 0;
    for (int64_t j = whole; j < n; ++j) tail += (in[i][j] - mean[i]) * (in[i][j] - mean[i]);
    rstd[i] = 1.0f / std::sqrt(lanes_total(sq[i], tail) / float(n) + r.eps);
  }
  for (int i = 0; i < R; ++i) {
    T* out = y + (first + i) * n;
    for (int64_t j = 0; j < whole; j += kLanes) {
      V8 v = (load8(in[i] + j) - mean[i]) * rstd[i] * load8(w + j);
      if (b) v += load8(b + j);
      store8(out + j, v);
    }
    for (int64_t j = whole; j < n; ++j) {
      out[j] = T((in[i][j] - mean[i]) * rstd[i] * w[j] + (b ? b[j] : 0.0f));
    }
    mean_out[first + i] = mean[i];
    rstd_out[first + i] = rstd[i];
  }
}

template <typename T>
GEN_INLINE void forward_rows(const float* x, const float* w, const float* b, const Rows& r, int64_t first,
                             int64_t last, T* y, float* mean_out, float* rstd_out) {
  int64_t row = first;
  for (; row + kGroup <= last; row += kGroup) forward_group<kGroup>(x, w, b, r, row, y, mean_out, rstd_out);
  for (; row < last; ++row) forward_group<1>(x, w, b, r, row, y, mean_out, rstd_out);
}

// dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy w and xhat = (x - mean) rstd; the
// rows' dy xhat and dy added into this block's partial weight and bias gradients, row after row
// at each column (kGroup rows at a time, as in the forward pass).
template <int R, typename T>
GEN_INLINE void backward_group(const T* dy, const float* x, const float* w, const float* mean, const float* rstd,
                               const Rows& r, int64_t first, float* dx, float* dw, float* db) {
  const int64_t n = r.width, whole = n / kLanes * kLanes;
  const T* g_row[R];
  const float* in[R];
  float m[R], s[R];
  for (int i = 0; i < R; ++i) {
    g_row[i] = dy + (first + i) * n;
    in[i] = x + (first + i) * n;
    m[i] = mean[first + i];
    s[i] = rstd[first + i];
  }
  V8 sum_g[R], sum_gx[R];
  for (int i = 0; i < R; ++i) sum_g[i] = sum_gx[i] = V8{};
  for (int64_t j = 0; j < whole; j += kLanes) {
    V8 pw = load8(dw + j), pb = load8(db + j);
    const V8 wj = load8(w + j);
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) {
      const V8 d = load8(g_row[i] + j);
      const V8 xhat = (load8(in[i] + j) - m[i]) * s[i];
      const V8 g = d * wj;
      sum_g[i] += g;
      sum_gx[i] += g * xhat;
      pw = pw + d * xhat;
      pb = pb + d;
    }
    store8(dw + j, pw);
    store8(db + j, pb);
  }
  float mean_g[R], mean_gx[R];
  for (int i = 0; i < R; ++i) {
    float tail_g = 0, tail_gx = 0;
    for (int64_t j = whole; j < n; ++j) {
      const float d = to_float(g_row[i][j]);
      const float xhat = (in[i][j] - m[i]) * s[i];
      tail_g += d * w[j];
      tail_gx += d * w[j] * xhat;
      dw[j] += d * xhat;
      db[j] += d;
    }
    mean_g[i] = lanes_total(sum_g[i], tail_g) / float(n);
    mean_gx[i] = lanes_total(sum_gx[i], tail_gx) / float(n);
  }
  for (int i = 0; i < R; ++i) {
    float* out = dx + (first + i) * n;
    for (int64_t j = 0; j < whole; j += kLanes) {
      const V8 xhat = (load8(in[i] + j) - m[i]) * s[i];
      store8(out + j, s[i] * (load8(g_row[i] + j) * load8(w + j) - mean_g[i] - xhat * mean_gx[i]));
    }
    for (int64_t j = whole; j < n; ++j) {
      const float xhat = (in[i][j] - m[i]) * s[i];
      out[j] = s[i] * (to_float(g_row[i][j]) * w[j] - mean_g[i] - xhat * mean_gx[i]);
    }
  }
}

template <typename T>
GEN_INLINE void backward_rows(const T* dy, const float* x, const float* w, const float* mean, const float* rstd,
                              const Rows& r, int64_t first, int64_t last, float* dx, float* dw, float* db) {
  int64_t row = first;
  for (; row + kGroup <= last; row += kGroup) backward_group<kGroup>(dy, x, w, mean, rstd, r, row, dx, dw, db);
  for (; row < last; ++row) backward_group<1>(dy, x, w, mean, rstd, r, row, dx, dw, db);
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
