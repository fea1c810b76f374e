// BatchNorm2d that can synchronize its batch statistics across the ranks of a data-parallel
// job: with `sync` on and more than one rank, the per-channel mean and variance in training
// are those of the global batch (one small all-reduce forward, one backward, differentiable
// twice for R1), so N ranks normalize as one process does. Alone, or with `sync` off, it is torch::nn::BatchNorm2d to
// the bit, under the same parameter and buffer names (checkpoints load either way).
#pragma once

#include <torch/torch.h>

namespace gen {

struct BatchNormImpl : torch::nn::Module {
  BatchNormImpl(int64_t channels, bool sync);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  bool sync;
  double momentum = 0.1, eps = 1e-5;
};
TORCH_MODULE(BatchNorm);

}  // namespace gen
