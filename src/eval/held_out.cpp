#include "eval/held_out.h"

#include <algorithm>
#include <string>
#include <vector>

#include "data/data_source.h"
#include "models/generative_model.h"

namespace gen {

MetricValues held_out_means(DataSource& data, GenerativeModel& model, EvalSplit split, int64_t max_batches) {
  const int64_t all = data.eval_batch_count(split);
  const int64_t batches = max_batches > 0 ? std::min(all, max_batches) : all;
  // Per metric: the sum of value x weight and of the weights, so that a mean over the split is
  // exact (a batch's weight: its items, or what the metric says it averages over). The sums stay
  // on the model's device and are read once at the end: a read per batch would wait for the
  // device every batch.
  struct Sum {
    std::string name;
    torch::Tensor weighted, weight;
    Better better;
  };
  std::vector<Sum> sums;
  for (int64_t i = 0; i < batches; ++i) {
    const Batch batch = data.eval_batch(split, i);
    if (batch.x.numel() == 0) continue;
    const double items = double(batch.x.dim() == 2 ? batch.x.numel() : batch.x.size(0));  // tokens (B, T) or images
    Metrics m = model.evaluate(batch);
    if (m.empty()) return {};
    for (size_t j = 0; j < m.size(); ++j) {
      const torch::Tensor v = m[j].value.detach().to(torch::kDouble);
      const torch::Tensor w =
          m[j].weight.defined() ? m[j].weight.detach().to(v.device(), torch::kDouble) : torch::full({}, items, v.options());
      if (sums.size() <= j) {
        // A copy: the += below must not change a tensor the model handed out.
        sums.push_back({m[j].name, v * w, w.clone(), m[j].better});
      } else {
        sums[j].weighted += v * w;
        sums[j].weight += w;
      }
    }
  }
  MetricValues out;
  if (sums.empty()) return out;
  std::vector<torch::Tensor> both;
  for (const Sum& s : sums) {
    both.push_back(s.weighted);
    both.push_back(s.weight);
  }
  const torch::Tensor read = torch::stack(both).to(torch::kCPU);
  const auto* r = read.data_ptr<double>();
  for (size_t j = 0; j < sums.size(); ++j) {
    out.push_back({enum_name(split) + "_" + sums[j].name, r[2 * j] / r[2 * j + 1], sums[j].better});
  }
  return out;
}

}  // namespace gen
