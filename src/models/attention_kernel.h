// softmax(q k^T / sqrt(d)) v over (B, heads, tokens, d): which kernel runs it, and the plain ops.
// LibTorch's fused scaled_dot_product_attention is the slower kernel in bf16 / fp16 on the CPU
// up to 512 tokens against the plain ops below (6x at the U-Net's 49 tokens, 4x at the CPU
// Transformer's 64, 1.6x at 256, 1.15x at 512; the fused one wins at 1024, and in float32 it is
// as fast or faster): docs/RESULTS.md "The Transformer's attention in one GEMM",
// scripts/attention_kernel_times.py.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace gen {

constexpr int64_t kPlainAttentionMaxTokens = 512;

inline bool plain_attention_is_faster(const torch::Tensor& q) {
  const bool reduced = q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf;
  return q.is_cpu() && reduced && q.size(-2) <= kPlainAttentionMaxTokens;
}

// softmax(q k^T / sqrt(d) + mask) for q (..., T, d) and k (..., S, d), as (..., T, S) in q's type.
// `mask` is additive, (T, S) of 0 and -inf in q's type, or undefined. The scale and the mask go
// into the one GEMM (baddbmm: mask + scale q k^T, summed in float before the single rounding),
// and the softmax runs in q's type, as CPU autocast runs it (ATen's bf16 kernel sums in float
// and rounds once, so its weights equal float32's rounded): no separate scale or masked_fill
// pass and no float copy of the logits, forward or backward (docs/RESULTS.md "The Transformer's
// attention in one GEMM"). Under CUDA autocast softmax runs in float32, cast back here.
inline torch::Tensor attention_weights(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& mask) {
  const int64_t t = q.size(-2), s = k.size(-2), d = q.size(-1);
  const torch::Tensor q3 = q.reshape({-1, t, d}), k3 = k.reshape({-1, s, d}).transpose(1, 2);
  const double scale = 1.0 / std::sqrt(double(d));
  // Unmasked: bmm, then the scale. LibTorch 1.13's baddbmm with beta 0 reads its uninitialized
  // output (NaN garbage at one query token: the KV-cache step), so beta 0 is not used anywhere.
  const torch::Tensor logits = mask.defined() ? torch::baddbmm(mask, q3, k3, 1.0, scale) : torch::bmm(q3, k3) * scale;
  std::vector<int64_t> shape(q.sizes().begin(), q.sizes().end());
  shape.back() = s;
  return torch::softmax(logits, -1).to(q.scalar_type()).view(shape);
}

}  // namespace gen
