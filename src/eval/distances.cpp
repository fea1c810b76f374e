#include "eval/distances.h"

#include <algorithm>
#include <cmath>

namespace gen {

FeatureStats feature_stats(const torch::Tensor& features) {
  TORCH_CHECK(features.dim() == 2 && features.size(0) >= 2, "feature_stats needs (N >= 2, D) features");
  const torch::Tensor x = features.to(torch::kCPU, torch::kDouble);
  FeatureStats s;
  s.n = x.size(0);
  s.mean = x.mean(0);
  const torch::Tensor c = x - s.mean;
  s.cov = c.t().mm(c) / double(s.n - 1);
  return s;
}

torch::Tensor psd_sqrt(const torch::Tensor& a) {
  const torch::Tensor sym = (a + a.t()) * 0.5;  // round-off can make a computed covariance slightly asymmetric
  auto [w, v] = at::linalg_eigh(sym, "L");
  return (v * w.clamp_min(0).sqrt().unsqueeze(0)).mm(v.t());
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  TORCH_CHECK(a.mean.numel() == b.mean.numel(), "frechet_distance: feature sizes differ");
  const torch::Tensor root_a = psd_sqrt(a.cov);
  const torch::Tensor m = root_a.mm(b.cov).mm(root_a);
  const torch::Tensor eig = at::linalg_eigvalsh((m + m.t()) * 0.5, "L").clamp_min(0);
  const double mean_term = (a.mean - b.mean).pow(2).sum().item<double>();
  const double trace_term =
      a.cov.trace().item<double>() + b.cov.trace().item<double>() - 2 * eig.sqrt().sum().item<double>();
  return std::max(0.0, mean_term + trace_term);
}

KidResult kernel_distance(const torch::Tensor& a, const torch::Tensor& b, int64_t subsets, int64_t subset_size,
                          uint64_t seed) {
  const torch::Tensor x = a.to(torch::kCPU, torch::kDouble), y = b.to(torch::kCPU, torch::kDouble);
  const int64_t m = std::min({subset_size, x.size(0), y.size(0)});
  TORCH_CHECK(m >= 2 && subsets >= 1, "kernel_distance needs at least 2 rows per set");
  const double d = double(x.size(1));
  auto kernel = [d](const torch::Tensor& p, const torch::Tensor& q) { return (p.mm(q.t()) / d + 1).pow(3); };
  auto gen = at::detail::createCPUGenerator(seed);
  std::vector<double> values;
  for (int64_t s = 0; s < subsets; ++s) {
    const torch::Tensor xs = x.index_select(0, torch::randperm(x.size(0), gen, torch::kInt64).narrow(0, 0, m));
    const torch::Tensor ys = y.index_select(0, torch::randperm(y.size(0), gen, torch::kInt64).narrow(0, 0, m));
    const torch::Tensor kxx = kernel(xs, xs), kyy = kernel(ys, ys), kxy = kernel(xs, ys);
    const double off = double(m) * double(m - 1);
    const double mmd = (kxx.sum() - kxx.trace()).item<double>() / off + (kyy.sum() - kyy.trace()).item<double>() / off -
                       2 * kxy.mean().item<double>();
    values.push_back(mmd);
  }
  return mean_std(values);
}

}  // namespace gen
