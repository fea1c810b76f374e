#include "optim/global_norm.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "util/cpu_kernels_isa.h"

namespace gen {

namespace {

#define GEN_INLINE inline __attribute__((always_inline))

// Elements per chunk (a task, and one partial sum).
constexpr int64_t kChunk = 8192;

typedef float F4 __attribute__((vector_size(16)));
typedef double D4 __attribute__((vector_size(32)));

// The sum of the squares of n floats in float64: 4 lanes in four running sums (independent
// chains of adds, whose latency would otherwise bound the loop), then the tail. A float's
// square is exact in float64, so an FMA clone and a plain one give the same bits.
GEN_INLINE double squares(const float* p, int64_t n) {
  D4 acc[4] = {};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    for (int k = 0; k < 4; ++k) {
      F4 f;
      std::memcpy(&f, p + j + 4 * k, sizeof f);
      const D4 x = __builtin_convertvector(f, D4);
      acc[k] += x * x;
    }
  }
  const D4 a = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  double total = (a[0] + a[2]) + (a[1] + a[3]);
  for (; j < n; ++j) total += double(p[j]) * double(p[j]);
  return total;
}
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) double squares_avx2(const float* p, int64_t n) { return squares(p, n); }
#endif
double squares_base(const float* p, int64_t n) { return squares(p, n); }

bool on_cpu_in_float(const std::vector<torch::Tensor>& grads) {
  return std::all_of(grads.begin(), grads.end(), [](const torch::Tensor& g) {
    return g.is_cpu() && g.scalar_type() == torch::kFloat && g.is_contiguous();
  });
}

}  // namespace

torch::Tensor global_norm(const std::vector<torch::Tensor>& grads) {
  if (grads.empty()) return torch::zeros({});
  if (!on_cpu_in_float(grads)) return torch::stack(at::_foreach_norm(grads, 2)).norm(2);
  struct Chunk {
    const float* data;
    int64_t n;
  };
  std::vector<Chunk> chunks;
  for (const torch::Tensor& g : grads) {
    const float* p = g.data_ptr<float>();
    for (int64_t first = 0; first < g.numel(); first += kChunk) {
      chunks.push_back({p + first, std::min(kChunk, g.numel() - first)});
    }
  }
  std::vector<double> partial(chunks.size(), 0.0);
#if defined(__x86_64__)
  const bool avx2 = cpu_kernels_isa() != "base";  // its 4 doubles per vector are AVX2's width
#endif
  at::parallel_for(0, int64_t(chunks.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
#if defined(__x86_64__)
      if (avx2) {
        partial[i] = squares_avx2(chunks[i].data, chunks[i].n);
        continue;
      }
#endif
      partial[i] = squares_base(chunks[i].data, chunks[i].n);
    }
  });
  double total = 0;
  for (const double p : partial) total += p;
  return torch::full({}, float(std::sqrt(total)), grads[0].options());
}

}  // namespace gen
