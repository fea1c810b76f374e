// Checks an attention function (q, k, v) -> softmax(q k^T / sqrt(d) [+ causal mask]) v against
// the same product in float64: the output and the three gradients, in the input's precision.
#pragma once

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <vector>

namespace gen::test {

using AttentionFn = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)>;

// (2 x 2 heads, tokens, 16 dims) of `dtype`; tolerance 1e-5 in float32, 3e-2 in bf16 (x4 for gradients).
inline void check_attention(const AttentionFn& attend, int64_t tokens, torch::ScalarType dtype, bool causal) {
  torch::manual_seed(3);
  std::vector<torch::Tensor> qkv, qkv64;
  for (int i = 0; i < 3; ++i) {
    qkv.push_back(torch::randn({2, 2, tokens, 16}).to(dtype).requires_grad_());
    qkv64.push_back(qkv.back().detach().to(torch::kDouble).requires_grad_());
  }
  const torch::Tensor out = attend(qkv[0], qkv[1], qkv[2]);
  torch::Tensor logits = torch::matmul(qkv64[0], qkv64[1].transpose(-2, -1)) / 4.0;
  if (causal) logits = logits.masked_fill(torch::ones({tokens, tokens}, torch::kBool).triu(1), -INFINITY);
  const torch::Tensor want = torch::softmax(logits, -1).matmul(qkv64[2]);
  const torch::Tensor weights = torch::randn(want.sizes(), torch::kDouble);
  (out.to(torch::kDouble) * weights).sum().backward();
  (want * weights).sum().backward();
  const double tol = dtype == torch::kFloat ? 1e-5 : 3e-2;
  INFO("tokens " << tokens << ", " << dtype << (causal ? ", causal" : ""));
  CHECK(out.scalar_type() == dtype);
  CHECK((out.to(torch::kDouble) - want).abs().max().item<double>() < tol);
  for (size_t i = 0; i < 3; ++i) {
    CHECK((qkv[i].grad().to(torch::kDouble) - qkv64[i].grad()).abs().max().item<double>() < 4 * tol);
  }
}

}  // namespace gen::test
