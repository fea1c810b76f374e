// Named figures on the host, as metrics.jsonl, the log, TensorBoard and reports carry them
// (torch-free: core/metrics.h has the device-side Metric a training step returns). Each says
// which way is better, so keep_best and comparisons never guess from a name.
#pragma once

#include <string>
#include <vector>

namespace gen {

enum class Better { kLower, kHigher, kNeither };

struct MetricValue {
  std::string name;
  double value = 0;
  Better better = Better::kNeither;
};
using MetricValues = std::vector<MetricValue>;

}  // namespace gen
