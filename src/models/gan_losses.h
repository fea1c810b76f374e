// The GAN losses, one row each: what D minimises on the scores of real and generated images,
// what G minimises, and how to read the scores. The penalties (R1, the gradient penalty,
// InfoGAN's code term) are separate terms that dcgan.cpp adds; a row only says whether its
// loss needs the gradient penalty. Adding a loss is a name in GanLoss and a row in the .cpp.
#pragma once

#include <torch/torch.h>

#include <array>
#include <string>
#include <string_view>

#include "config/field.h"

namespace gen {

enum class GanLoss { kBce, kHinge, kWganGp };
template <>
struct EnumNames<GanLoss> {
  static constexpr std::array<std::string_view, 3> names{"bce", "hinge", "wgan-gp"};
};

struct GanLossRule {
  GanLoss loss;
  const char* summary;
  torch::Tensor (*d_loss)(const torch::Tensor& d_real, const torch::Tensor& d_fake);  // (B), (B) -> scalar
  torch::Tensor (*g_loss)(const torch::Tensor& d_gen);                                // (B) -> scalar
  bool logits;            // scores are logits of "real": logged as mean probabilities
  bool gradient_penalty;  // D's loss takes the gradient penalty on interpolates (gp_weight)
};

const GanLossRule& gan_loss_rule(GanLoss loss);

// "bce: ...; hinge: ...; wgan-gp: ..." from the rows, for the help of model.loss.
std::string gan_loss_help();

}  // namespace gen
