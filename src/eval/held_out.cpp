#include "eval/held_out.h"

#include <algorithm>

#include "data/data_source.h"
#include "models/generative_model.h"

namespace gen {

MetricValues held_out_means(DataSource& data, GenerativeModel& model, EvalSplit split, int64_t max_batches) {
  const int64_t all = data.eval_batch_count(split);
  const int64_t batches = max_batches > 0 ? std::min(all, max_batches) : all;
  Metrics sums;
  double items = 0;
  for (int64_t i = 0; i < batches; ++i) {
    const Batch batch = data.eval_batch(split, i);
    if (batch.x.numel() == 0) continue;
    const double w = double(batch.x.dim() == 2 ? batch.x.numel() : batch.x.size(0));  // tokens (B, T) or images
    Metrics m = model.evaluate(batch);
    if (m.empty()) return {};
    for (Metric& metric : m) metric.value = metric.value.detach().to(torch::kCPU, torch::kDouble) * w;
    if (sums.empty()) {
      sums = std::move(m);
    } else {
      for (size_t j = 0; j < sums.size(); ++j) sums[j].value += m[j].value;
    }
    items += w;
  }
  MetricValues out;
  for (const Metric& sum : sums) out.push_back({enum_name(split) + "_" + sum.name, sum.value.item<double>() / items, sum.better});
  return out;
}

}  // namespace gen
