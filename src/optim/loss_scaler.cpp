#include "optim/loss_scaler.h"

namespace gen {

LossScaler::LossScaler(bool enabled, const torch::Device& device, Settings settings)
    : enabled_(enabled),
      settings_(settings),
      scale_(torch::full({}, enabled ? settings.init : 1.0, torch::TensorOptions().device(device))),
      streak_(torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device))) {}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }

torch::Tensor LossScaler::current() const { return scale_; }

torch::Tensor LossScaler::update(const torch::Tensor& found_inf) {
  if (!enabled_) return found_inf.to(torch::kFloat);
  const torch::Tensor own_fault = found_inf.logical_and(scale_ <= 1.0).to(torch::kFloat);
  const torch::Tensor streak = torch::where(found_inf, torch::zeros_like(streak_), streak_ + 1);
  const torch::Tensor grow = streak >= settings_.interval;
  scale_ = torch::where(found_inf, scale_ * settings_.backoff, torch::where(grow, scale_ * settings_.growth, scale_));
  streak_ = torch::where(grow, torch::zeros_like(streak), streak);
  return own_fault;
}

void LossScaler::save(torch::serialize::OutputArchive& archive) const {
  archive.write("scale", scale_);
  archive.write("streak", streak_);
}

void LossScaler::load(torch::serialize::InputArchive& archive) {
  const torch::Device device = scale_.device();
  archive.read("scale", scale_);
  archive.read("streak", streak_);
  scale_ = scale_.to(device);
  streak_ = streak_.to(device);
}

}  // namespace gen
