// Named scalars as models report them and as logs and reports carry them. Each says which way
// is better, so keep_best and comparisons never guess from a name. A training step also says
// whether an update was skipped for a non-finite gradient: that is how the trainer's guard
// learns of a bad step.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "core/metric_value.h"

namespace gen {

// On the device, as a 0-dim tensor: read back only when the loop logs.
struct Metric {
  std::string name;
  torch::Tensor value;
  Better better = Better::kLower;
  // What the value is a mean over in its batch, when that is not the batch's items (tokens or
  // images): a mean over a split weights each batch by it (bits per byte: the bytes).
  torch::Tensor weight = torch::Tensor();
};
using Metrics = std::vector<Metric>;

struct StepResult {
  Metrics metrics;
  // 0-dim float on the device, 1 when an update of the step was skipped for a non-finite
  // gradient (its metrics then do not count); undefined when nothing was skipped.
  torch::Tensor skipped;

  void add(std::string name, const torch::Tensor& value, Better better = Better::kLower) {
    metrics.push_back({std::move(name), value.detach(), better});
  }
  // One more update's flag: the step counts as skipped when any of its updates was.
  void add_skipped(const torch::Tensor& flag) { skipped = skipped.defined() ? torch::maximum(skipped, flag) : flag; }
};

}  // namespace gen
