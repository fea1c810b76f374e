#include "models/dropout_noise.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <type_traits>

namespace gen {

namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per task: big enough to pay for a thread hand-off

// Random123's Philox4x32 round multipliers and key increments (ATen's kPhiloxSA/SB, kPhilox10A/B).
constexpr uint64_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;

inline std::array<uint32_t, 4> philox10(uint64_t seed, uint64_t block) {
  uint32_t c0 = uint32_t(block), c1 = uint32_t(block >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = kMul0 * c0, p1 = kMul1 * c2;
    const uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c1 = uint32_t(p1);
    c3 = uint32_t(p0);
    c0 = n0;
    c2 = n2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return {c0, c1, c2, c3};
}

// out[0, n) = noise of the draw's elements [first, first + n); u < threshold keeps. A 32-bit
// threshold lets the compiler run several blocks at once in SIMD lanes (3x faster than a 64-bit
// compare on the 2-core host).
template <typename T>
void fill_noise(T* out, int64_t n, uint64_t first, uint64_t seed, uint32_t threshold, T kept) {
  const T dropped = T(0);
  int64_t i = 0;
  // Element e is lane e % 4 of block e / 4: a partial block at each end, whole blocks between.
  for (; i < n && (first + i) % 4 != 0; ++i) {
    out[i] = philox10(seed, (first + i) / 4)[(first + i) % 4] < threshold ? kept : dropped;
  }
  const uint64_t block0 = (first + i) / 4;
  const int64_t blocks = (n - i) / 4;
  T* whole = out + i;
  for (int64_t j = 0; j < blocks; ++j) {
    const std::array<uint32_t, 4> u = philox10(seed, block0 + j);
    for (int lane = 0; lane < 4; ++lane) whole[4 * j + lane] = u[lane] < threshold ? kept : dropped;
  }
  i += 4 * blocks;
  if (i < n) {
    const std::array<uint32_t, 4> u = philox10(seed, (first + i) / 4);
    for (int lane = 0; i < n; ++lane, ++i) out[i] = u[lane] < threshold ? kept : dropped;
  }
}

// u < threshold keeps: probability threshold / 2^32, the nearest to 1 - p (1 - 2^-32 at most, for
// p below 2^-33).
uint32_t keep_threshold(double p) {
  TORCH_CHECK(p >= 0 && p < 1, "dropout: p must be in [0, 1), got ", p);
  return uint32_t(std::min<double>(std::round((1.0 - p) * 4294967296.0), 4294967295.0));
}

// out = in * (keep ? kept : 0) elementwise, in the precision ATen's mul computes x * noise (the
// same bits, a NaN in a dropped element included).
template <typename T>
void apply_keep(const T* in, const uint8_t* keep, T* out, int64_t n, T kept) {
  using Acc = at::opmath_type<T>;
  const Acc on = Acc(kept), off = Acc(0);
  for (int64_t i = 0; i < n; ++i) out[i] = T(Acc(in[i]) * (keep[i] ? on : off));
}

// Dropout as one autograd node: the forward pass draws the keep mask (a byte per element) in
// chunks that stay in cache and applies it; the backward pass applies the saved mask to the
// gradient. x * dropout_noise(...) gives the same values, but keeps the noise (2-4 bytes an
// element) for the backward pass and passes over memory twice more.
struct FusedDropout : torch::autograd::Function<FusedDropout> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p, int64_t seed,
                               int64_t first) {
    const torch::Tensor in = x.contiguous();
    torch::Tensor out = torch::empty_like(in);
    torch::Tensor keep = torch::empty(in.sizes(), in.options().dtype(torch::kUInt8));
    const uint32_t threshold = keep_threshold(p);
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "fused_dropout", [&] {
      const auto kept = static_cast<scalar_t>(1.0 / (1.0 - p));
      const scalar_t* src = in.data_ptr<scalar_t>();
      scalar_t* dst = out.data_ptr<scalar_t>();
      uint8_t* mask = keep.data_ptr<uint8_t>();
      at::parallel_for(0, in.numel(), kGrain, [=](int64_t begin, int64_t end) {
        constexpr int64_t kChunk = 4096;  // the mask of a chunk is still in L1 when it is applied
        for (int64_t i = begin; i < end; i += kChunk) {
          const int64_t n = std::min(kChunk, end - i);
          fill_noise<uint8_t>(mask + i, n, uint64_t(first + i), uint64_t(seed), threshold, 1);
          apply_keep<scalar_t>(src + i, mask + i, dst + i, n, kept);
        }
      });
    });
    ctx->save_for_backward({keep});
    ctx->saved_data["p"] = p;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const torch::Tensor keep = ctx->get_saved_variables()[0];
    const double p = ctx->saved_data["p"].toDouble();
    const torch::Tensor grad = grads[0].contiguous();
    torch::Tensor grad_in;
    if (grad.requires_grad()) {  // a double backward pass: differentiable ops
      grad_in = grad * (keep.to(grad.scalar_type()) * (1.0 / (1.0 - p)));
    } else {
      grad_in = torch::empty_like(grad);
      AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, grad.scalar_type(), "fused_dropout_backward", [&] {
        const auto kept = static_cast<scalar_t>(1.0 / (1.0 - p));
        const scalar_t* src = grad.data_ptr<scalar_t>();
        scalar_t* dst = grad_in.data_ptr<scalar_t>();
        const uint8_t* mask = keep.data_ptr<uint8_t>();
        at::parallel_for(0, grad.numel(), kGrain, [=](int64_t begin, int64_t end) {
          apply_keep<scalar_t>(src + begin, mask + begin, dst + begin, end - begin, kept);
        });
      });
    }
    return {grad_in, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor fused_dropout(const torch::Tensor& x, double p, uint64_t seed, int64_t first) {
  TORCH_CHECK(x.is_cpu(), "fused_dropout: a CPU tensor, got ", x.device());
  TORCH_CHECK(first >= 0, "fused_dropout: negative first element ", first);
  const torch::Tensor out = FusedDropout::apply(x, p, static_cast<int64_t>(seed), first);
  // The mask follows the logical order; the result keeps a channels-last input's layout, as
  // x * noise would.
  const auto format = x.suggest_memory_format();
  return format == at::MemoryFormat::Contiguous ? out : out.contiguous(format);
}

std::array<uint32_t, 4> philox_block(uint64_t seed, uint64_t block) { return philox10(seed, block); }

torch::Tensor dropout_noise(at::IntArrayRef shape, const torch::TensorOptions& options, double p, uint64_t seed,
                            int64_t first) {
  TORCH_CHECK(first >= 0, "dropout_noise: negative first element ", first);
  const uint32_t threshold = keep_threshold(p);
  torch::Tensor noise = torch::empty(shape, options.device(torch::kCPU));
  // The fill writes the kept value's bits, so the loop sees plain integers whatever the type.
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, noise.scalar_type(), "dropout_noise", [&] {
    using Bits = std::conditional_t<sizeof(scalar_t) == 2, uint16_t,
                                    std::conditional_t<sizeof(scalar_t) == 4, uint32_t, uint64_t>>;
    static_assert(sizeof(Bits) == sizeof(scalar_t));
    const auto kept_value = static_cast<scalar_t>(1.0 / (1.0 - p));
    Bits kept = 0;
    std::memcpy(&kept, &kept_value, sizeof(kept));
    auto* out = reinterpret_cast<Bits*>(noise.data_ptr<scalar_t>());
    at::parallel_for(0, noise.numel(), kGrain, [=](int64_t begin, int64_t end) {
      fill_noise<Bits>(out + begin, end - begin, uint64_t(first + begin), seed, threshold, kept);
    });
  });
  return noise;
}

int parallel_threads_used(int64_t n) {
  std::atomic<int> used{0};
  at::parallel_for(0, n, kGrain, [&](int64_t, int64_t) { used.fetch_or(1 << std::min(at::get_thread_num(), 30)); });
  return __builtin_popcount(unsigned(used.load()));
}

uint64_t draw_seed() {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get<at::CPUGeneratorImpl>()->random64();
}

}  // namespace gen
