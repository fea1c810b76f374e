#include "models/diffusion_sampler.h"

#include <cmath>
#include <vector>

namespace gen {

DiffusionSampler resolved_sampler(DiffusionSampler sampler, DiffusionObjective objective) {
  if (sampler != DiffusionSampler::kAuto) return sampler;
  return objective == DiffusionObjective::kFlow ? DiffusionSampler::kEuler : DiffusionSampler::kDdim;
}

std::string sampler_mismatch(DiffusionSampler sampler, DiffusionObjective objective) {
  const bool flow_sampler = sampler == DiffusionSampler::kEuler || sampler == DiffusionSampler::kHeun;
  const bool flow = objective == DiffusionObjective::kFlow;
  if (sampler == DiffusionSampler::kAuto || flow_sampler == flow) return "";
  return std::string("sampler ") + std::string(enum_name(sampler)) + " draws from " +
         (flow_sampler ? "flow-matching models (objective flow)" : "eps and v models (a discrete schedule)") +
         ", and this model's objective is " + std::string(enum_name(objective)) + " (" +
         (flow ? "euler|heun" : "ddpm|ddim") + ")";
}

std::vector<double> flow_sigmas(int64_t big_t, int64_t n, double shift) {
  const auto shifted = [shift](double s) { return shift * s / (1 + (shift - 1) * s); };
  // diffusers shifts its training sigmas (1/T .. 1) in __init__, spaces the inference sigmas
  // between the shifted ends and shifts them again: the last sigma is shifted twice.
  const double first = 1.0, last = shifted(1.0 / double(big_t));
  std::vector<double> sigmas;
  for (int64_t i = 0; i < n; ++i) {
    sigmas.push_back(shifted(n == 1 ? first : first + (last - first) * double(i) / double(n - 1)));
  }
  sigmas.push_back(0.0);
  return sigmas;
}

namespace {

torch::Tensor noise_like(const torch::Tensor& x, at::Generator& generator) {
  return torch::randn(x.sizes(), generator, torch::kFloat32).to(x.device(), x.scalar_type());
}

// diffusers DDIMScheduler.step (and, with `ancestral`, DDPMScheduler.step with variance_type
// fixed_small) from t to prev_t.
torch::Tensor discrete_step(const SamplerSettings& st, DiffusionObjective objective, const NoiseSchedule& schedule,
                            const torch::Tensor& x, const torch::Tensor& out, int64_t t, int64_t prev_t,
                            at::Generator& generator) {
  const double ab = schedule.alpha_bar_at(t), ab_prev = schedule.alpha_bar_at(prev_t);
  auto [x0, eps] = predicted_x0_eps(objective, x, out, ab);
  if (st.clip_sample) x0 = x0.clamp(-1, 1);
  if (st.sampler == DiffusionSampler::kDdpm) {
    const double alpha = ab / ab_prev, beta = 1 - alpha;
    torch::Tensor mean = (std::sqrt(ab_prev) * beta / (1 - ab)) * x0 + (std::sqrt(alpha) * (1 - ab_prev) / (1 - ab)) * x;
    if (t > 0) {
      const double variance = std::max((1 - ab_prev) / (1 - ab) * beta, 1e-20);
      mean = mean + std::sqrt(variance) * noise_like(x, generator);
    }
    return mean;
  }
  const double variance = (1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev);
  const double sd = st.eta * std::sqrt(variance);
  torch::Tensor prev = std::sqrt(ab_prev) * x0 + std::sqrt(std::max(0.0, 1 - ab_prev - sd * sd)) * eps;
  if (st.eta > 0) prev = prev + sd * noise_like(x, generator);
  return prev;
}

// The flow path x_t = (1 - t) x0 + t eps is a Gaussian path (alpha_t = 1 - t, sigma_t = t), so
// DDIM's step applies to it (Song et al. 2021, eq. 12, with x0 and eps from the velocity):
// eta 0 is the Euler step, 1 draws from the DDPM posterior q(x_next | x_t, x0), whose variance
// is sigma_{t|next}^2 sigma_next^2 / sigma_t^2 (Kingma et al. 2021, "Variational diffusion models").
torch::Tensor stochastic_flow_step(const torch::Tensor& x, const torch::Tensor& velocity, double t, double next,
                                   double eta, at::Generator& generator) {
  const torch::Tensor x0 = x - t * velocity, eps = x + (1 - t) * velocity;
  const double ratio = (1 - t) / (1 - next);  // alpha_t / alpha_next
  const double sigma_t_given_next = std::sqrt(std::max(0.0, t * t - ratio * ratio * next * next));
  const double sd = eta * sigma_t_given_next * next / t;
  return (1 - next) * x0 + std::sqrt(std::max(0.0, next * next - sd * sd)) * eps + sd * noise_like(x, generator);
}

}  // namespace

torch::Tensor run_sampler(const SamplerSettings& settings, DiffusionObjective objective,
                          const NoiseSchedule& schedule, torch::Tensor x, const Denoiser& denoiser,
                          at::Generator& generator, const StepObserver& observe) {
  SamplerSettings st = settings;
  st.sampler = resolved_sampler(st.sampler, objective);
  const int64_t big_t = schedule.steps(), n = st.steps;
  if (observe) observe(0, x);
  if (objective != DiffusionObjective::kFlow) {
    const std::vector<int64_t> ts = leading_timesteps(big_t, n);
    const int64_t ratio = big_t / n;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t t = ts[size_t(i)];
      const torch::Tensor out = denoiser(x, double(t));
      x = discrete_step(st, objective, schedule, x, out, t, t - ratio, generator);
      if (observe) observe(i + 1, x);
    }
    return x;
  }
  const std::vector<double> sigmas = flow_sigmas(big_t, n, st.shift);
  const double scale = double(big_t);
  for (int64_t i = 0; i < n; ++i) {
    const double s = sigmas[size_t(i)], next = sigmas[size_t(i) + 1], h = next - s;
    const torch::Tensor d = denoiser(x, s * scale);
    if (st.sampler == DiffusionSampler::kHeun && next > 0) {
      const torch::Tensor euler = x + h * d;
      x = x + (h / 2) * (d + denoiser(euler, next * scale));
    } else if (st.eta > 0 && next > 0) {
      x = stochastic_flow_step(x, d, s, next, st.eta, generator);
    } else {
      x = x + h * d;
    }
    if (observe) observe(i + 1, x);
  }
  return x;
}

}  // namespace gen
