#include "models/noise_schedule.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace gen {

NoiseSchedule make_noise_schedule(BetaSchedule kind, int64_t steps, double beta_start, double beta_end) {
  NoiseSchedule s;
  switch (kind) {
    case BetaSchedule::kLinear:
      s.betas = torch::linspace(beta_start, beta_end, steps, torch::kFloat32);
      break;
    case BetaSchedule::kCosine: {
      // betas_for_alpha_bar(T, "cosine"): in double, then stored as float32.
      auto alpha_bar = [](double t) { return std::pow(std::cos((t + 0.008) / 1.008 * M_PI / 2), 2); };
      std::vector<double> betas(static_cast<size_t>(steps));
      for (int64_t i = 0; i < steps; ++i) {
        const double t1 = double(i) / double(steps), t2 = double(i + 1) / double(steps);
        betas[size_t(i)] = std::min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999);
      }
      s.betas = torch::tensor(betas, torch::kFloat64).to(torch::kFloat32);
      break;
    }
  }
  s.alphas_cumprod = torch::cumprod(1 - s.betas, 0);
  return s;
}

double NoiseSchedule::alpha_bar_at(int64_t t) const {
  return t < 0 ? 1.0 : double(alphas_cumprod[t].item<float>());
}

std::vector<int64_t> leading_timesteps(int64_t steps, int64_t n) {
  const int64_t ratio = steps / n;
  std::vector<int64_t> out;
  for (int64_t i = n - 1; i >= 0; --i) out.push_back(i * ratio);
  return out;
}

}  // namespace gen
