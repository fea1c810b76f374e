// The discrete noise schedule of DDPM-style diffusion, as diffusers' DDPMScheduler and
// DDIMScheduler build it (schedulers/scheduling_ddpm.py): betas over T steps, float32, and
// alpha_bar_t = prod_{s <= t} (1 - beta_s). x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "util/enum_names.h"

namespace gen {

// linear: beta from beta_start to beta_end (Ho et al. 2020); cosine: diffusers'
// "squaredcos_cap_v2", alpha_bar(t) = cos^2((t/T + 0.008)/1.008 * pi/2), betas capped at 0.999
// (Nichol & Dhariwal 2021).
enum class BetaSchedule { kLinear, kCosine };
template <>
struct EnumNames<BetaSchedule> {
  static constexpr std::array<std::string_view, 2> names{"linear", "cosine"};
};

struct NoiseSchedule {
  torch::Tensor betas;           // (T) float32, CPU
  torch::Tensor alphas_cumprod;  // (T) float32, CPU: alpha_bar_t

  int64_t steps() const { return betas.size(0); }
  // alpha_bar_t as a double; 1 for t < 0 (diffusers' set_alpha_to_one: the clean end).
  double alpha_bar_at(int64_t t) const;
};

NoiseSchedule make_noise_schedule(BetaSchedule kind, int64_t steps, double beta_start, double beta_end);

// diffusers' "leading" spacing of `n` of the schedule's `steps` steps, from the noisiest:
// t_i = (n - 1 - i) * (steps / n), integer division.
std::vector<int64_t> leading_timesteps(int64_t steps, int64_t n);

}  // namespace gen
