#include "models/gan_losses.h"

namespace gen {

namespace {

namespace F = torch::nn::functional;

torch::Tensor bce_d(const torch::Tensor& d_real, const torch::Tensor& d_fake) {
  return F::binary_cross_entropy_with_logits(d_real, torch::ones_like(d_real)) +
         F::binary_cross_entropy_with_logits(d_fake, torch::zeros_like(d_fake));
}
torch::Tensor bce_g(const torch::Tensor& d_gen) {  // non-saturating: G maximises log D(G(z))
  return F::binary_cross_entropy_with_logits(d_gen, torch::ones_like(d_gen));
}
torch::Tensor hinge_d(const torch::Tensor& d_real, const torch::Tensor& d_fake) {
  return torch::relu(1 - d_real).mean() + torch::relu(1 + d_fake).mean();
}
torch::Tensor wasserstein_d(const torch::Tensor& d_real, const torch::Tensor& d_fake) {
  return d_fake.mean() - d_real.mean();
}
torch::Tensor mean_score_g(const torch::Tensor& d_gen) { return -d_gen.mean(); }

// In GanLoss order.
const GanLossRule kRules[] = {
    {GanLoss::kBce, "non-saturating GAN loss on logits", bce_d, bce_g, true, false},
    {GanLoss::kHinge, "hinge loss (D: relu(1 - real) + relu(1 + fake); G: -score)", hinge_d, mean_score_g, false,
     false},
    {GanLoss::kWganGp, "Wasserstein loss with a gradient penalty on interpolates (gp_weight)", wasserstein_d,
     mean_score_g, false, true},
};

}  // namespace

const GanLossRule& gan_loss_rule(GanLoss loss) { return enum_row(kRules, loss, &GanLossRule::loss); }

std::string gan_loss_help() {
  std::string help;
  for (const GanLossRule& rule : kRules)
    help += (help.empty() ? "" : "; ") + enum_name(rule.loss) + ": " + rule.summary;
  return help;
}

}  // namespace gen
