#include "eval/held_out.h"

#include <algorithm>

#include "data/data_source.h"
#include "models/generative_model.h"

namespace gen {

MetricValues held_out_means(DataSource& data, GenerativeModel& model, const std::string& split, int64_t max_batches) {
  const int64_t all = data.eval_batch_count(split);
  const int64_t batches = max_batches > 0 ? std::min(all, max_batches) : all;
  StepMetrics sums;
  double items = 0;
  for (int64_t i = 0; i < batches; ++i) {
    const Batch batch = data.eval_batch(split, i);
    if (batch.x.numel() == 0) continue;
    const double w = double(batch.x.dim() == 2 ? batch.x.numel() : batch.x.size(0));  // tokens (B, T) or images
    StepMetrics m = model.evaluate(batch);
    if (m.empty()) return {};
    for (auto& kv : m) kv.second = kv.second.detach().to(torch::kCPU, torch::kDouble) * w;
    if (sums.empty()) {
      sums = std::move(m);
    } else {
      for (size_t j = 0; j < sums.size(); ++j) sums[j].second += m[j].second;
    }
    items += w;
  }
  MetricValues out;
  for (const auto& [name, sum] : sums) out.emplace_back(split + "_" + name, sum.item<double>() / items);
  return out;
}

}  // namespace gen
