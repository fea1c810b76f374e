#include "eval/likelihood.h"

#include <cmath>

#include "data/data_source.h"
#include "models/capabilities.h"

namespace gen {

LikelihoodFigures likelihood_figures(DataSource& data, LikelihoodModel& model, int64_t k, int64_t max_examples,
                                     uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  LikelihoodFigures f;
  f.k = k;
  double elbo = 0, iwae = 0;
  const int64_t batches = data.eval_batch_count(EvalSplit::kVal);
  for (int64_t i = 0; i < batches && (max_examples <= 0 || f.examples < max_examples); ++i) {
    torch::Tensor x = data.eval_batch(EvalSplit::kVal, i).x;
    if (max_examples > 0) x = x.narrow(0, 0, std::min(x.size(0), max_examples - f.examples));
    const LikelihoodModel::Bounds b = model.log_likelihood_bounds(x, k, gen);
    elbo += b.elbo.sum().item<double>();
    iwae += b.iwae.sum().item<double>();
    f.examples += x.size(0);
  }
  if (f.examples == 0) return f;
  f.neg_elbo = -elbo / double(f.examples);
  f.nll_iwae = -iwae / double(f.examples);
  f.bits_per_dim = f.nll_iwae / (double(model.data_dims()) * std::log(2.0));
  return f;
}

}  // namespace gen
