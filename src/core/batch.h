// One batch of training or evaluation data, whatever the data kind: what data sources produce
// and models consume.
#pragma once

#include <torch/torch.h>

namespace gen {

struct Batch {
  torch::Tensor x;  // images (B, C, H, W) float in [-1, 1], or tokens (B, T) int64; on the model's device
  torch::Tensor y;  // labels (B) int64, next tokens (B, T) int64, or undefined

  // A data-parallel rank's share of the global batch: of each of the `micro` micro-batches
  // (train.accumulate) its `part`-th of `parts` consecutive pieces, so that micro-batch j of
  // every rank is a piece of the global micro-batch j. B must divide by micro * parts.
  Batch slice(int64_t part, int64_t parts, int64_t micro = 1) const {
    const int64_t rows = x.size(0) / (micro * parts);
    TORCH_CHECK(rows * micro * parts == x.size(0), "a batch of ", x.size(0), " does not split into ", micro, " x ",
                parts, " parts");
    auto take = [&](const torch::Tensor& t) {
      return t.unflatten(0, {micro, parts, rows}).select(1, part).flatten(0, 1);
    };
    return {take(x), y.defined() ? take(y) : torch::Tensor()};
  }
};

}  // namespace gen
