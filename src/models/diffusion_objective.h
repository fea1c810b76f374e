// What a diffusion network is trained to predict, and the algebra that ties its output to the
// clean image and the noise: the training target, the min-SNR-gamma loss weight, and the
// samplers' estimates of x0 and eps from an output. Kept together so that training and
// sampling cannot disagree about an objective.
#pragma once

#include <torch/torch.h>

#include <utility>

#include "util/enum_names.h"

namespace gen {

// What the network predicts: the noise (DDPM), v = sqrt(ab) eps - sqrt(1 - ab) x0
// (Salimans & Ho 2022), or the flow-matching velocity eps - x0 along x_t = (1 - t) x0 + t eps.
enum class DiffusionObjective { kEps, kV, kFlow };
template <>
struct EnumNames<DiffusionObjective> {
  static constexpr std::array<std::string_view, 3> names{"eps", "v", "flow"};
};

// The target at x_t = sqrt(ab) x0 + sqrt(1 - ab) eps for the discrete objectives (eps, v);
// `ab` broadcasts against x0 ((B, 1, 1, 1) per example).
torch::Tensor discrete_target(DiffusionObjective objective, const torch::Tensor& x0, const torch::Tensor& noise,
                              const torch::Tensor& ab);

// Min-SNR-gamma loss weights (Hang et al. 2023) from alpha_bar (B), as diffusers'
// train_text_to_image.py computes them: min(snr, gamma) / snr for eps, / (snr + 1) for v, with
// snr = ab / (1 - ab). Both make the loss an x0 error weighted by min(snr, gamma).
torch::Tensor min_snr_weight(DiffusionObjective objective, const torch::Tensor& ab, double gamma);

// The clean-image estimate x0 and noise estimate from a discrete model's output at alpha_bar `ab`.
std::pair<torch::Tensor, torch::Tensor> predicted_x0_eps(DiffusionObjective objective, const torch::Tensor& x,
                                                         const torch::Tensor& out, double ab);

}  // namespace gen
