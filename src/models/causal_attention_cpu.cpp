#include "models/causal_attention_cpu.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/vector_exp.h"
#include "util/bf16_bits.h"
#include "util/cpu_kernels_isa.h"

namespace gen {

namespace {

// One vector width per instruction set: with AVX-512 16 floats are one register (32 of them);
// AVX2 has 16 registers of 8 and SSE2 / NEON registers of 4, and 16-float vectors there spill
// their accumulators to memory (20 times slower, measured), so each set gets its own width.
#if defined(__x86_64__)
namespace lanes16bf16 {
constexpr int64_t kLanes = 16;
constexpr int kMaxRun = 4;
#define GEN_KERNEL_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx2,fma")))
#define GEN_KERNEL_BF16_DOTS
#include "models/causal_attention_cpu_kernel.inc"
#undef GEN_KERNEL_BF16_DOTS
#undef GEN_KERNEL_TARGET
}  // namespace lanes16bf16
namespace lanes16 {
constexpr int64_t kLanes = 16;
constexpr int kMaxRun = 4;
#define GEN_KERNEL_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
#include "models/causal_attention_cpu_kernel.inc"
#undef GEN_KERNEL_TARGET
}  // namespace lanes16
namespace lanes8 {
constexpr int64_t kLanes = 8;
constexpr int kMaxRun = 2;
#define GEN_KERNEL_TARGET __attribute__((target("avx2,fma")))
#include "models/causal_attention_cpu_kernel.inc"
#undef GEN_KERNEL_TARGET
}  // namespace lanes8
#endif
namespace lanes4 {
constexpr int64_t kLanes = 4;
constexpr int kMaxRun = 2;
#define GEN_KERNEL_TARGET
#include "models/causal_attention_cpu_kernel.inc"
#undef GEN_KERNEL_TARGET
}  // namespace lanes4

// The forward or backward pass of every head in the widest clone this CPU runs.
template <typename T>
void every_head(bool backward, const torch::Tensor& qkv, int64_t n_head, const T* src, const T* dy, float* lse,
                T* out) {
  const std::string isa = cpu_kernels_isa();
#if defined(__x86_64__)
  // Only bf16 gains from the AVX512_BF16 clone; other types keep the AVX-512 one.
  if constexpr (std::is_same_v<T, c10::BFloat16>) {
    if (isa == "avx512bf16") return lanes16bf16::every_head(backward, qkv, n_head, src, dy, lse, out);
  }
  if (cpu_kernels_avx512(isa)) return lanes16::every_head(backward, qkv, n_head, src, dy, lse, out);
  if (isa == "avx2") return lanes8::every_head(backward, qkv, n_head, src, dy, lse, out);
#endif
  lanes4::every_head(backward, qkv, n_head, src, dy, lse, out);
}

struct CausalAttentionCpu : torch::autograd::Function<CausalAttentionCpu> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& qkv, int64_t n_head) {
    const torch::Tensor in = qkv.contiguous();
    torch::Tensor y = torch::empty({in.size(0), in.size(1), in.size(2) / 3}, in.options());
    torch::Tensor lse = torch::empty({in.size(0), n_head, in.size(1)}, in.options().dtype(torch::kFloat));
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "causal_attention_cpu", [&] {
      const scalar_t* src = in.data_ptr<scalar_t>();
      scalar_t* dst = y.data_ptr<scalar_t>();
      float* lse_data = lse.data_ptr<float>();
      every_head<scalar_t>(false, in, n_head, src, nullptr, lse_data, dst);
    });
    ctx->save_for_backward({in, lse});
    ctx->saved_data["n_head"] = n_head;
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& in = saved[0];
    const torch::Tensor& lse = saved[1];
    TORCH_CHECK(!torch::GradMode::is_enabled(), "causal_attention_cpu: no double backward (create_graph)");
    const torch::Tensor dy = grads[0].to(in.scalar_type()).contiguous();
    torch::Tensor dqkv = torch::empty_like(in);
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "causal_attention_cpu_backward", [&] {
      const scalar_t* src = in.data_ptr<scalar_t>();
      const scalar_t* grad = dy.data_ptr<scalar_t>();
      float* lse_data = lse.data_ptr<float>();
      scalar_t* dst = dqkv.data_ptr<scalar_t>();
      every_head<scalar_t>(true, in, ctx->saved_data["n_head"].toInt(), src, grad, lse_data, dst);
    });
    return {dqkv, torch::Tensor()};
  }
};

}  // namespace

bool causal_attention_cpu_fits(const torch::Tensor& qkv, int64_t n_head) {
  if (!qkv.defined() || !qkv.is_cpu() || qkv.dim() != 3 || n_head <= 0 || qkv.size(2) % (3 * n_head) != 0) {
    return false;
  }
  const auto type = qkv.scalar_type();
  if (type != torch::kFloat && type != torch::kBFloat16 && type != torch::kHalf) return false;
  const int64_t dims = qkv.size(2) / (3 * n_head);
  return qkv.size(1) >= 1 && qkv.size(1) <= kCausalAttentionCpuMaxTokens && dims >= 1 &&
         dims <= kCausalAttentionCpuMaxHeadDim;
}

torch::Tensor causal_attention_cpu(const torch::Tensor& qkv, int64_t n_head) {
  TORCH_CHECK(causal_attention_cpu_fits(qkv, n_head), "causal_attention_cpu: qkv ", qkv.sizes(), " of ",
              qkv.scalar_type(), " on ", qkv.device(), " with ", n_head, " heads is not a case it takes");
  // Named for `gen bench --profile` and its FLOP counter (util/flop_counter.cpp), which reads
  // the model's FLOPs from qkv's shape; here, where gradients are still on.
  RECORD_FUNCTION(kCausalAttentionCpuOp, std::vector<c10::IValue>({qkv}));
  return CausalAttentionCpu::apply(qkv, n_head);
}

}  // namespace gen
