#include "eval/held_out.h"

#include <algorithm>

#include "data/data_source.h"
#include "models/generative_model.h"

namespace gen {

MetricValues held_out_means(DataSource& data, GenerativeModel& model, EvalSplit split, int64_t max_batches) {
  const int64_t all = data.eval_batch_count(split);
  const int64_t batches = max_batches > 0 ? std::min(all, max_batches) : all;
  // Per metric: the sum of value x weight and of the weights, so that a mean over the split is
  // exact (a batch's weight: its items, or what the metric says it averages over).
  Metrics sums, weights;
  for (int64_t i = 0; i < batches; ++i) {
    const Batch batch = data.eval_batch(split, i);
    if (batch.x.numel() == 0) continue;
    const double items = double(batch.x.dim() == 2 ? batch.x.numel() : batch.x.size(0));  // tokens (B, T) or images
    Metrics m = model.evaluate(batch);
    if (m.empty()) return {};
    for (size_t j = 0; j < m.size(); ++j) {
      const torch::Tensor w = m[j].weight.defined() ? m[j].weight.detach().to(torch::kCPU, torch::kDouble)
                                                    : torch::tensor(items, torch::kDouble);
      const torch::Tensor v = m[j].value.detach().to(torch::kCPU, torch::kDouble) * w;
      if (sums.size() <= j) {
        sums.push_back({m[j].name, v, m[j].better});
        weights.push_back({m[j].name, w});
      } else {
        sums[j].value += v;
        weights[j].value += w;
      }
    }
  }
  MetricValues out;
  for (size_t j = 0; j < sums.size(); ++j) {
    out.push_back({enum_name(split) + "_" + sums[j].name, sums[j].value.item<double>() / weights[j].value.item<double>(),
                   sums[j].better});
  }
  return out;
}

}  // namespace gen
