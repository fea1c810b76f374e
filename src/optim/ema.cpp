#include "optim/ema.h"

#include <algorithm>

#include "util/torch_version.h"

namespace gen {

Ema::Ema(torch::nn::Module& module, double decay) : module_(module), decay_(decay) { reset(); }

void Ema::reset() {
  torch::NoGradGuard no_grad;
  shadow_.clear();
  for (const auto& p : module_.parameters()) shadow_.push_back(p.detach().clone());
  updates_ = 0;
}

void Ema::update() {
  torch::NoGradGuard no_grad;
  const auto params = module_.parameters();
  const double decay = std::min(decay_, (1.0 + double(updates_)) / (10.0 + double(updates_)));
  ++updates_;
#if GEN_TORCH_AT_LEAST(2, 0)
  at::_foreach_lerp_(shadow_, params, 1.0 - decay);  // one kernel for all tensors on CUDA
#else
  for (size_t i = 0; i < params.size(); ++i) shadow_[i].lerp_(params[i], 1.0 - decay);  // 1.13 has no _foreach_lerp_
#endif
}

void Ema::save(torch::serialize::OutputArchive& archive) const {
  for (size_t i = 0; i < shadow_.size(); ++i) archive.write(std::to_string(i), shadow_[i]);
  archive.write("updates", torch::tensor(updates_, torch::kInt64));
}

void Ema::load(torch::serialize::InputArchive& archive) {
  for (size_t i = 0; i < shadow_.size(); ++i) {
    torch::Tensor t;
    archive.read(std::to_string(i), t);
    TORCH_CHECK(t.sizes() == shadow_[i].sizes(), "EMA tensor ", i, " has shape ", t.sizes(), ", the model expects ",
                shadow_[i].sizes());
    shadow_[i].copy_(t);
  }
  torch::Tensor updates;
  archive.read("updates", updates);
  updates_ = updates.item<int64_t>();
}

EmaWeights::EmaWeights(const Ema* ema) : ema_(ema) {
  if (!ema_) return;
  torch::NoGradGuard no_grad;
  auto params = ema_->module_.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    backup_.push_back(params[i].detach().clone());
    params[i].copy_(ema_->shadow_[i]);
  }
}

EmaWeights::~EmaWeights() {
  if (!ema_) return;
  torch::NoGradGuard no_grad;
  auto params = ema_->module_.parameters();
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_(backup_[i]);
}

InferenceScope::InferenceScope(torch::nn::Module& net, const Ema* ema)
    : net_(net), was_training_(net.is_training()), weights_(ema) {
  net_.eval();
}

InferenceScope::~InferenceScope() { net_.train(was_training_); }

}  // namespace gen
