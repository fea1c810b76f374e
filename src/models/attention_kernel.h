// Which kernel computes softmax(q k^T / sqrt(d)) v: LibTorch's fused scaled_dot_product_attention,
// or the three plain ops (matmul, softmax in float32, matmul). On the CPU in bf16 / fp16 the fused
// kernel is the slower one at short sequences. Forward and backward on 2 threads, torch 2.13.0 CPU,
// AVX512_BF16 (ms, fused against plain):
//   (128 x 2 heads, 49 tokens, 32 dims)  18.1 / 4.3   (U-Net's 7x7 level on MNIST)
//   (128 x 2, 144, 32)                   59.1 / 39.1
//   (128 x 2, 196, 32)                   67.5 / 83.8
//   causal (12 x 4, 64, 32)               3.7 / 1.1   (transformer_shakespeare_cpu.yaml)
//   causal (64 x 6, 128, 64)             88.7 / 46.9
//   causal (64 x 6, 256, 64)            185.5 / 285.2 (transformer_shakespeare.yaml)
// In float32 the fused kernel is as fast or faster (49 tokens: 6.95 / 6.87; causal 64: 1.47 / 1.87).
#pragma once

#include <torch/torch.h>

namespace gen {

constexpr int64_t kPlainAttentionMaxTokens = 144;

inline bool plain_attention_is_faster(const torch::Tensor& q) {
  const bool reduced = q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf;
  return q.is_cpu() && reduced && q.size(-2) <= kPlainAttentionMaxTokens;
}

}  // namespace gen
