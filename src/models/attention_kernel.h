// softmax(q k^T / sqrt(d)) v over (B, heads, tokens, d): which kernel runs it, and the plain ops.
// LibTorch's fused scaled_dot_product_attention is the slower kernel in bf16 / fp16 on the CPU at
// short sequences (5x at the U-Net's 49 tokens, 3x at the CPU Transformer's 64; even at 196 tokens,
// and in float32 the fused one is as fast or faster): docs/RESULTS.md "Attention kernels in bf16",
// scripts/attention_kernel_times.py.
#pragma once

#include <torch/torch.h>

#include <cmath>

namespace gen {

constexpr int64_t kPlainAttentionMaxTokens = 144;

inline bool plain_attention_is_faster(const torch::Tensor& q) {
  const bool reduced = q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf;
  return q.is_cpu() && reduced && q.size(-2) <= kPlainAttentionMaxTokens;
}

// softmax(q k^T / sqrt(d)), -inf where `future` (a (T, S) bool mask, or undefined) is true; the
// softmax in float32 as autocast would run it, returned in q's type.
inline torch::Tensor attention_weights(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& future) {
  torch::Tensor logits = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(q.size(-1)));
  if (future.defined()) logits = logits.masked_fill(future, -INFINITY);
  return torch::softmax(logits, -1, torch::kFloat).to(q.scalar_type());
}

}  // namespace gen
