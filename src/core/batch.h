// One batch of training or evaluation data, whatever the data kind: what data sources produce
// and models consume.
#pragma once

#include <torch/torch.h>

namespace gen {

struct Batch {
  torch::Tensor x;  // images (B, C, H, W) float in [-1, 1], or tokens (B, T) int64; on the model's device
  torch::Tensor y;  // labels (B) int64, next tokens (B, T) int64, or undefined
};

}  // namespace gen
