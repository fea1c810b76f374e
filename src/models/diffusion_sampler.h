// The samplers of the diffusion family: from noise to images by repeated calls of the trained
// network. DDPM ancestral and DDIM follow diffusers' DDPMScheduler and DDIMScheduler step for
// step (leading timestep spacing, clip_sample, set_alpha_to_one); Euler follows
// FlowMatchEulerDiscreteScheduler's sigmas (1 down to 1/T, then 0; with its `shift`), or with
// eta > 0 takes DDIM's stochastic step on the flow path between the same sigmas; Heun is
// its second-order version (Karras et al. 2022, Alg. 1: the last step to sigma 0 is an Euler step).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "models/diffusion_objective.h"
#include "models/noise_schedule.h"
#include "util/enum_names.h"

namespace gen {

enum class DiffusionSampler { kAuto, kDdpm, kDdim, kEuler, kHeun };
template <>
struct EnumNames<DiffusionSampler> {
  static constexpr std::array<std::string_view, 5> names{"auto", "ddpm", "ddim", "euler", "heun"};
};

// ddim for eps and v, euler for flow.
DiffusionSampler resolved_sampler(DiffusionSampler sampler, DiffusionObjective objective);
// "" when `sampler` can draw from a model trained with `objective`, else why not.
std::string sampler_mismatch(DiffusionSampler sampler, DiffusionObjective objective);

struct SamplerSettings {
  DiffusionSampler sampler = DiffusionSampler::kAuto;
  int64_t steps = 50;        // network evaluations are steps (ddpm, ddim, euler) or 2 steps - 1 (heun)
  double eta = 0.0;          // ddim, euler: 0 deterministic, 1 draws from the DDPM posterior
  bool clip_sample = true;   // ddpm, ddim: clamp the predicted x0 to [-1, 1]
  double shift = 1.0;        // euler, heun: sigma -> shift sigma / (1 + (shift - 1) sigma)
};

// euler, heun: the n + 1 flow times (sigmas) the sampler visits, from 1 to 0, as diffusers'
// FlowMatchEulerDiscreteScheduler(num_train_timesteps = big_t, shift).set_timesteps(n) gives them.
std::vector<double> flow_sigmas(int64_t big_t, int64_t n, double shift);

// The network's output for x, every row at model timestep t (the discrete step, or T * sigma for
// flow). A number, not a tensor: the caller may decide by it (a guidance interval) without a device sync.
using Denoiser = std::function<torch::Tensor(const torch::Tensor& x, double t)>;
// Called with 0 and the starting noise, then after each step with its number and the new x.
using StepObserver = std::function<void(int64_t step, const torch::Tensor& x)>;

// From `noise` (B, C, H, W) to samples. `schedule`: the discrete schedule (eps, v); its length
// T also scales flow time to model timesteps. Random draws (ddpm, ddim with eta > 0) come from
// `generator` (CPU), so a seed gives the same images on any device.
torch::Tensor run_sampler(const SamplerSettings& settings, DiffusionObjective objective,
                          const NoiseSchedule& schedule, torch::Tensor noise, const Denoiser& denoiser,
                          at::Generator& generator, const StepObserver& observe = {});

}  // namespace gen
