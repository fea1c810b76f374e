#include "models/diffusion_objective.h"

#include <cmath>

namespace gen {

torch::Tensor discrete_target(DiffusionObjective objective, const torch::Tensor& x0, const torch::Tensor& noise,
                              const torch::Tensor& ab) {
  if (objective == DiffusionObjective::kEps) return noise;
  return ab.sqrt() * noise - (1 - ab).sqrt() * x0;  // v
}

torch::Tensor min_snr_weight(DiffusionObjective objective, const torch::Tensor& ab, double gamma) {
  const torch::Tensor snr = ab / (1 - ab);
  const torch::Tensor clipped = snr.clamp_max(gamma);
  return objective == DiffusionObjective::kEps ? clipped / snr : clipped / (snr + 1);
}

std::pair<torch::Tensor, torch::Tensor> predicted_x0_eps(DiffusionObjective objective, const torch::Tensor& x,
                                                         const torch::Tensor& out, double ab) {
  const double a = std::sqrt(ab), s = std::sqrt(1 - ab);
  if (objective == DiffusionObjective::kV) return {a * x - s * out, a * out + s * x};
  return {(x - s * out) / a, out};  // eps
}

}  // namespace gen
