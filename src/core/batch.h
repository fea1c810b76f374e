// One batch of training or evaluation data, whatever the data kind: what data sources produce
// and models consume.
#pragma once

#include <torch/torch.h>

namespace gen {

struct Batch {
  torch::Tensor x;  // images (B, C, H, W) float in [-1, 1], or tokens (B, T) int64; on the model's device
  torch::Tensor y;  // labels (B) int64, next tokens (B, T) int64, or undefined

  // Rows [part * B / parts, (part + 1) * B / parts) of x and y (a data-parallel rank's share
  // of the global batch); B must divide by parts.
  Batch slice(int64_t part, int64_t parts) const {
    const int64_t rows = x.size(0) / parts;
    TORCH_CHECK(rows * parts == x.size(0), "a batch of ", x.size(0), " does not split into ", parts, " parts");
    return {x.narrow(0, part * rows, rows), y.defined() ? y.narrow(0, part * rows, rows) : torch::Tensor()};
  }
};

}  // namespace gen
