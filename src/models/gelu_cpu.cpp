#include "models/gelu_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "models/vector_exp.h"
#include "util/bf16_bits.h"
#include "util/cpu_kernels_isa.h"

namespace gen {

namespace {

// Every 16-bit pattern's GELU (as the type's bits) and derivative (float). `value` has one more
// entry, zero: the AVX-512 forward pass gathers 32 bits at each 16-bit entry, the last one too.
struct GeluTable {
  std::vector<uint16_t> value;
  std::vector<float> slope;
};

template <typename T>
T from_bits(uint16_t bits) {
  T t;
  t.x = bits;
  return t;
}

// The T nearest to y (ties to the even pattern): T(float(y)) can be one step off where float(y)
// lands on a tie of T, so its neighbours of y's sign are compared in float64.
template <typename T>
uint16_t nearest(double y) {
  const T first = T(float(y));
  const int inf = T(std::numeric_limits<float>::infinity()).x & 0x7FFF;  // the largest magnitude
  const int magnitude = first.x & 0x7FFF;
  if (!std::isfinite(y) || magnitude >= inf) return first.x;
  const uint16_t sign = std::signbit(y) ? 0x8000 : 0;
  uint16_t best = first.x;
  double best_error = std::abs(double(float(first)) - y);
  for (int m = std::max(0, magnitude - 1); m <= std::min(inf - 1, magnitude + 1); ++m) {
    const uint16_t bits = uint16_t(sign | m);
    const double error = std::abs(double(float(from_bits<T>(bits))) - y);
    if (error < best_error || (error == best_error && (bits & 1) == 0 && (best & 1) == 1)) {
      best = bits;
      best_error = error;
    }
  }
  return best;
}

template <typename T>
GeluTable make_table() {
  GeluTable table{std::vector<uint16_t>(65536 + 1), std::vector<float>(65536)};
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    const double x = float(from_bits<T>(uint16_t(bits)));
    // Phi(x) = erfc(-x / sqrt 2) / 2 keeps its relative precision for x far below 0.
    const double cdf = 0.5 * std::erfc(-x * M_SQRT1_2);
    const double pdf = std::exp(-0.5 * x * x) * 0.5 * M_2_SQRTPI * M_SQRT1_2;
    table.value[bits] = nearest<T>(x * cdf);
    table.slope[bits] = float(cdf + x * pdf);
  }
  return table;
}

template <typename T>
const GeluTable& table_of() {
  static const GeluTable table = make_table<T>();  // built once, on first use (about 65536 erfc)
  return table;
}

// dx = T(float(dy) * slope(x)) for n elements: the slopes gathered into a small float buffer
// first, so that the product and the rounding run as one vector loop (the clones below).
#define GEN_INLINE inline __attribute__((always_inline))
template <typename T>
GEN_INLINE void backward_chunk(const T* dy, const uint16_t* x, const float* slope, T* dx, int64_t n) {
  constexpr int64_t kChunk = 256;
  alignas(64) float s[kChunk];
  for (int64_t first = 0; first < n; first += kChunk) {
    const int64_t m = std::min(kChunk, n - first);
    for (int64_t j = 0; j < m; ++j) s[j] = slope[x[first + j]];
    if constexpr (std::is_same_v<T, c10::BFloat16>) {
      // bf16 rounding in integer steps the compiler vectorizes (c10::BFloat16(float) does not).
      const uint16_t* g = reinterpret_cast<const uint16_t*>(dy + first);
      uint16_t* out = reinterpret_cast<uint16_t*>(dx + first);
      for (int64_t j = 0; j < m; ++j) {
        const uint32_t in = uint32_t(g[j]) << 16;
        float f;
        std::memcpy(&f, &in, sizeof f);
        const float p = f * s[j];
        uint32_t bits;
        std::memcpy(&bits, &p, sizeof bits);
        out[j] = p != p ? kBf16NaNBits : uint16_t(bf16_nearest_bits(bits));
      }
    } else {
      for (int64_t j = 0; j < m; ++j) dx[first + j] = T(float(dy[first + j]) * s[j]);
    }
  }
}
#if defined(__x86_64__)
template <typename T>
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) void backward_avx512(
    const T* dy, const uint16_t* x, const float* slope, T* dx, int64_t n) {
  backward_chunk(dy, x, slope, dx, n);
}
template <typename T>
__attribute__((target("avx2,fma"))) void backward_avx2(const T* dy, const uint16_t* x, const float* slope, T* dx,
                                                      int64_t n) {
  backward_chunk(dy, x, slope, dx, n);
}

// out[i] = value[in[i]], sixteen at a time by AVX-512's gather (gelu_lookup16; timings against
// the scalar loop: docs/RESULTS.md, session 21).
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) void forward_avx512(
    const uint16_t* in, const uint16_t* value, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    GeluBits16 narrow;
    std::memcpy(&narrow, in + i, sizeof narrow);
    narrow = gelu_lookup16(__builtin_convertvector(narrow, GeluIndex16), value);
    std::memcpy(out + i, &narrow, sizeof narrow);
  }
  for (; i < n; ++i) out[i] = value[in[i]];
}
#endif
template <typename T>
void backward_base(const T* dy, const uint16_t* x, const float* slope, T* dx, int64_t n) {
  backward_chunk(dy, x, slope, dx, n);
}

// float: 32-bit inputs are too many for a table, so each element's Phi(x) is computed, from one
// exponential that also gives the density: erfc(z) = e^(-z^2) t S(t), t = 1 / (1 + z/2), with S a
// degree-8 polynomial fitted to erfc(z) e^(z^2) / t over z in [0, 9.5] by scripts/gelu_erfc_fit.py
// (4.3e-8 relative in float64, 1.9e-7 in float arithmetic; beyond z = 9.3 e^(-z^2) is below
// float's normals). Relative error stays small in both tails. The forward pass computes the slope
// Phi(x) + x phi(x) with the value and keeps it instead of x: the backward pass is one product, dy
// times it. LibTorch's float GELU adds 1 to erf (Abramowitz-Stegun 7.1.26, absolute error 1.5e-7):
// 17% off at x = -5, 0 below x = -6; and its backward pass computes erf and two exponentials again.
#if defined(__x86_64__)
namespace float_avx512 {
constexpr int64_t kLanes = 16;
#define GEN_KERNEL_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
#include "models/gelu_float_kernel.inc"
#undef GEN_KERNEL_TARGET
}  // namespace float_avx512
namespace float_avx2 {
constexpr int64_t kLanes = 8;
#define GEN_KERNEL_TARGET __attribute__((target("avx2,fma")))
#include "models/gelu_float_kernel.inc"
#undef GEN_KERNEL_TARGET
}  // namespace float_avx2
#endif
namespace float_base {
constexpr int64_t kLanes = 4;
#define GEN_KERNEL_TARGET
#include "models/gelu_float_kernel.inc"
#undef GEN_KERNEL_TARGET
}  // namespace float_base

// Elements per task: a few tasks per thread for the MLP's activations, one for small inputs.
constexpr int64_t kGrain = 16384;

template <typename T>
void forward_all(const torch::Tensor& x, torch::Tensor& y) {
  const uint16_t* in = reinterpret_cast<const uint16_t*>(x.data_ptr<T>());
  uint16_t* out = reinterpret_cast<uint16_t*>(y.data_ptr<T>());
  const uint16_t* value = table_of<T>().value.data();
  const std::string isa = cpu_kernels_isa();
  at::parallel_for(0, x.numel(), kGrain, [&](int64_t begin, int64_t end) {
#if defined(__x86_64__)
    if (cpu_kernels_avx512(isa)) return forward_avx512(in + begin, value, out + begin, end - begin);
#endif
    for (int64_t i = begin; i < end; ++i) out[i] = value[in[i]];
  });
}

// y = GELU(x) and, where `slope` is defined, slope = GELU'(x): the instruction set's clone.
void forward_float(const torch::Tensor& x, torch::Tensor& y, torch::Tensor& slope) {
  const float* in = x.data_ptr<float>();
  float* out = y.data_ptr<float>();
  float* d = slope.defined() ? slope.data_ptr<float>() : nullptr;
  const std::string isa = cpu_kernels_isa();
  at::parallel_for(0, x.numel(), kGrain, [&](int64_t begin, int64_t end) {
    float* d_here = d != nullptr ? d + begin : nullptr;
#if defined(__x86_64__)
    if (cpu_kernels_avx512(isa)) return float_avx512::gelu_float(in + begin, out + begin, d_here, end - begin);
    if (isa == "avx2") return float_avx2::gelu_float(in + begin, out + begin, d_here, end - begin);
#endif
    float_base::gelu_float(in + begin, out + begin, d_here, end - begin);
  });
}

// dx = dy GELU'(x) for n elements, by the clone of the instruction set `isa`.
template <typename T>
void backward_serial(const std::string& isa, const T* dy, const uint16_t* x, T* dx, int64_t n) {
  const float* slope = table_of<T>().slope.data();
#if defined(__x86_64__)
  if (cpu_kernels_avx512(isa)) return backward_avx512(dy, x, slope, dx, n);
  if (isa == "avx2") return backward_avx2(dy, x, slope, dx, n);
#endif
  backward_base(dy, x, slope, dx, n);
}

template <typename T>
void backward_all(const torch::Tensor& dy, const torch::Tensor& x, torch::Tensor& dx) {
  const T* g = dy.data_ptr<T>();
  const uint16_t* in = reinterpret_cast<const uint16_t*>(x.data_ptr<T>());
  T* out = dx.data_ptr<T>();
  const std::string isa = cpu_kernels_isa();
  at::parallel_for(0, x.numel(), kGrain, [&](int64_t begin, int64_t end) {
    backward_serial(isa, g + begin, in + begin, out + begin, end - begin);
  });
}

struct GeluCpu : torch::autograd::Function<GeluCpu> {
  // keep_slope: whether a backward pass will follow (float keeps the slope rather than x).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, bool keep_slope) {
    const torch::Tensor in = x.contiguous();
    torch::Tensor y = torch::empty_like(in);
    if (in.scalar_type() == torch::kFloat) {
      torch::Tensor slope = keep_slope ? torch::empty_like(in) : torch::Tensor();
      forward_float(in, y, slope);
      ctx->save_for_backward({slope});
      return y;
    }
    if (in.scalar_type() == torch::kBFloat16) {
      forward_all<c10::BFloat16>(in, y);
    } else {
      forward_all<c10::Half>(in, y);
    }
    ctx->save_for_backward({in});
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const torch::Tensor saved = ctx->get_saved_variables()[0];  // float: the slope; 16-bit: x
    TORCH_CHECK(!torch::GradMode::is_enabled(), "gelu_cpu: no double backward (create_graph)");
    if (saved.scalar_type() == torch::kFloat) return {grads[0].to(torch::kFloat) * saved, torch::Tensor()};
    const torch::Tensor dy = grads[0].to(saved.scalar_type()).contiguous();
    torch::Tensor dx = torch::empty_like(saved);
    if (saved.scalar_type() == torch::kBFloat16) {
      backward_all<c10::BFloat16>(dy, saved, dx);
    } else {
      backward_all<c10::Half>(dy, saved, dx);
    }
    return {dx, torch::Tensor()};
  }
};

}  // namespace

bool gelu_cpu_fits(const torch::Tensor& x) {
  return x.defined() && x.is_cpu() &&
         (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kHalf);
}

const uint16_t* gelu_bf16_values() { return table_of<c10::BFloat16>().value.data(); }

void gelu_bf16_backward(const c10::BFloat16* dy, const c10::BFloat16* x, c10::BFloat16* dx, int64_t n) {
  backward_serial(cpu_kernels_isa(), dy, reinterpret_cast<const uint16_t*>(x), dx, n);
}

torch::Tensor gelu_cpu(const torch::Tensor& x) {
  TORCH_CHECK(gelu_cpu_fits(x), "gelu_cpu: a ", x.scalar_type(), " tensor on ", x.device(), " is not a case it takes");
  RECORD_FUNCTION(kGeluCpuOp, std::vector<c10::IValue>({x}));
  return GeluCpu::apply(x, torch::GradMode::is_enabled() && x.requires_grad());
}

}  // namespace gen
