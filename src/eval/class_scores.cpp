#include "eval/class_scores.h"

#include <cmath>

namespace gen {

InceptionScore inception_score(const torch::Tensor& probs, int64_t splits) {
  const torch::Tensor p = probs.to(torch::kCPU, torch::kDouble);
  const int64_t n = p.size(0);
  TORCH_CHECK(splits >= 1 && n >= splits, "inception_score: fewer rows than splits");
  std::vector<double> scores;
  for (int64_t s = 0; s < splits; ++s) {
    const int64_t begin = s * n / splits, end = (s + 1) * n / splits;
    const torch::Tensor part = p.narrow(0, begin, end - begin);
    const torch::Tensor marginal = part.mean(0, /*keepdim=*/true);
    // 0 * log 0 = 0: xlogy-style masking so confident one-hot rows are finite.
    const torch::Tensor kl =
        torch::where(part > 0, part * (part.log() - marginal.log()), torch::zeros_like(part)).sum(1);
    scores.push_back(std::exp(kl.mean().item<double>()));
  }
  return mean_std(scores);
}

ClassCoverage class_coverage(const torch::Tensor& probs) {
  const int64_t k = probs.size(1);
  const torch::Tensor counts = torch::bincount(probs.argmax(1).to(torch::kCPU), {}, k).to(torch::kDouble);
  const torch::Tensor share = counts / counts.sum();
  ClassCoverage c;
  c.covered = (share >= 0.1 / double(k)).to(torch::kDouble).mean().item<double>();
  c.kl_to_uniform =
      torch::where(share > 0, share * (share * double(k)).log(), torch::zeros_like(share)).sum().item<double>();
  return c;
}

}  // namespace gen
