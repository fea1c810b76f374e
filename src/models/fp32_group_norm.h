// GroupNorm computed in float32 under autocast (a float32 output), as LibTorch 2.x's CPU
// autocast does by itself. 1.13's leaves group_norm out of its float32 list, and bf16
// activations met the float32 weight: "expected scalar type BFloat16 but found Float".
// The parameter names are GroupNorm's.
#pragma once

#include <torch/torch.h>

namespace gen {

struct Fp32GroupNormImpl : torch::nn::GroupNormImpl {
  using torch::nn::GroupNormImpl::GroupNormImpl;
  torch::Tensor forward(const torch::Tensor& x) { return torch::nn::GroupNormImpl::forward(x.to(torch::kFloat)); }
};
TORCH_MODULE(Fp32GroupNorm);

}  // namespace gen
