// GroupNorm that takes bf16 autocast activations on every LibTorch. 2.x's CPU kernel norms a
// bf16 input with float32 weights itself and returns bf16 (as PyTorch and diffusers run it);
// 1.13's refuses the mixed types ("expected scalar type BFloat16 but found Float") and its
// autocast leaves group_norm alone, so there the input is normed in float32. The parameter
// names are GroupNorm's.
#pragma once

#include <torch/torch.h>

#include "util/torch_version.h"

namespace gen {

struct AutocastGroupNormImpl : torch::nn::GroupNormImpl {
  using torch::nn::GroupNormImpl::GroupNormImpl;
  torch::Tensor forward(const torch::Tensor& x) {
#if GEN_TORCH_AT_LEAST(2, 0)
    return torch::nn::GroupNormImpl::forward(x);
#else
    return torch::nn::GroupNormImpl::forward(x.to(weight.scalar_type()));
#endif
  }
};
TORCH_MODULE(AutocastGroupNorm);

}  // namespace gen
