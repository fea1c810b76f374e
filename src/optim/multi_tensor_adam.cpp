#include "optim/multi_tensor_adam.h"

#include <cmath>
#include <map>
#include <string>

#include "util/errors.h"
#include "util/torch_version.h"

namespace gen {

MultiTensorAdam::MultiTensorAdam(std::vector<torch::Tensor> params, std::vector<double> weight_decay,
                                 AdamSettings settings)
    : params_(std::move(params)), weight_decay_(std::move(weight_decay)), settings_(settings) {
  TORCH_CHECK(params_.size() == weight_decay_.size(), "one weight decay per parameter");
  torch::NoGradGuard no_grad;
  for (const auto& p : params_) {
    exp_avg_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    exp_avg_sq_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
  }
  steps_.assign(params_.size(), 0);
  if (settings_.fused) {
    TORCH_CHECK(params_.empty() || fused_adam_available(params_.front().device()),
                "the fused Adam kernel is not in this LibTorch for ", params_.front().device());
    // The fused kernels read each tensor's step count from a float32 tensor on its device:
    // here 0-dim views of one buffer, so a step that updates every tensor counts with one add
    // (on the CPU `_foreach_add_` is one op per tensor).
    const torch::Device device = params_.empty() ? torch::Device(torch::kCPU) : params_.front().device();
    for (const auto& p : params_) TORCH_CHECK(p.device() == device, "fused Adam: parameters on one device");
    step_buffer_ = torch::zeros({int64_t(params_.size())}, torch::dtype(torch::kFloat).device(device));
    for (size_t i = 0; i < params_.size(); ++i) step_counts_.push_back(step_buffer_.select(0, int64_t(i)));
  }
}

bool fused_adam_available(const torch::Device& device) {
#if GEN_TORCH_AT_LEAST(2, 4)
  return device.is_cpu() || device.is_cuda();  // the CPU kernels came with 2.4 (pytorch PR 123074)
#else
  (void)device;
  return false;
#endif
}

void MultiTensorAdam::multiply_grads(const torch::Tensor& factor) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params_) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
#if GEN_TORCH_AT_LEAST(2, 1)
  at::_foreach_mul_(grads, factor);  // one kernel for all on CUDA (what clip_grad_norm_ uses)
#else
  for (const auto& g : grads) g.mul_(factor);  // 1.13 has no tensor-factor _foreach_mul_
#endif
}

void MultiTensorAdam::zero_grad() {
  for (auto& p : params_) p.mutable_grad().reset();
}

// What a step does with its gradient factor. On the CPU the factor is read once (a load from
// memory): exactly 1, a clip whose bound the norm is within, changes no bit, so neither the
// foreach ops nor the fused kernel (which stores every gradient back when given a grad_scale)
// make their pass over the gradients. On a GPU a read is a sync: only the fused path reads it,
// to fall back to multiplying where its reciprocal overflows float.
MultiTensorAdam::FactorUse MultiTensorAdam::factor_use(const torch::Tensor& factor) const {
  if (!factor.defined()) return FactorUse::kNone;
  if (!factor.is_cpu() && !settings_.fused) return FactorUse::kMultiply;
  const float value = factor.item<float>();
  if (value == 1.0f) return FactorUse::kNone;
  if (!settings_.fused) return FactorUse::kMultiply;
  return std::isfinite(1.0f / value) ? FactorUse::kGradScale : FactorUse::kMultiply;
}

void MultiTensorAdam::step(const torch::Tensor& grad_factor) {
  torch::NoGradGuard no_grad;
  const FactorUse use = factor_use(grad_factor);
  if (use == FactorUse::kMultiply) multiply_grads(grad_factor);
  if (settings_.fused) return fused_step(use == FactorUse::kGradScale ? grad_factor : torch::Tensor());
  std::vector<torch::Tensor> p, g, m, v;
  std::vector<c10::Scalar> step_size, bc2_sqrt;
  std::map<double, std::vector<size_t>> by_decay;  // positions in p, by nonzero weight decay
  const AdamSettings& s = settings_;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    if (weight_decay_[i] != 0) by_decay[weight_decay_[i]].push_back(p.size());
    p.push_back(params_[i]);
    g.push_back(params_[i].grad());
    m.push_back(exp_avg_[i]);
    v.push_back(exp_avg_sq_[i]);
    const double n = double(++steps_[i]);
    step_size.emplace_back(-lr_ / (1 - std::pow(s.beta1, n)));
    bc2_sqrt.emplace_back(std::sqrt(1 - std::pow(s.beta2, n)));
  }
  if (p.empty()) return;
  for (const auto& [decay, where] : by_decay) {
    std::vector<torch::Tensor> dp, dg;
    for (size_t k : where) dp.push_back(p[k]), dg.push_back(g[k]);
    if (s.decoupled_decay) {
      at::_foreach_mul_(dp, 1 - lr_ * decay);  // AdamW: p *= 1 - lr * wd
    } else {
      dg = at::_foreach_add(dg, dp, decay);  // Adam: g + wd * p, the stored gradient untouched
      for (size_t j = 0; j < where.size(); ++j) g[where[j]] = dg[j];
    }
  }
  at::_foreach_mul_(m, s.beta1);
  at::_foreach_add_(m, g, 1 - s.beta1);
  at::_foreach_mul_(v, s.beta2);
  at::_foreach_addcmul_(v, g, g, 1 - s.beta2);
  std::vector<torch::Tensor> denom = at::_foreach_sqrt(v);
  at::_foreach_div_(denom, bc2_sqrt);
  at::_foreach_add_(denom, s.eps);
  at::_foreach_addcdiv_(p, m, denom, step_size);
}

// What PyTorch's Adam/AdamW(fused=True) run: the step counts are counted on the device, then one
// kernel per weight decay updates every tensor of that decay (the op takes one decay value).
void MultiTensorAdam::fused_step(const torch::Tensor& grad_factor) {
#if GEN_TORCH_AT_LEAST(2, 4)
  // The kernels divide each gradient by grad_scale (and store the quotient back).
  c10::optional<torch::Tensor> grad_scale;
  if (grad_factor.defined()) grad_scale = grad_factor.to(torch::kFloat).reciprocal();
  struct Lists {
    std::vector<torch::Tensor> p, g, m, v, steps;
  };
  std::map<double, Lists> by_decay;
  std::vector<torch::Tensor> counted;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    ++steps_[i];
    Lists& l = by_decay[weight_decay_[i]];
    l.p.push_back(params_[i]);
    l.g.push_back(params_[i].grad());
    l.m.push_back(exp_avg_[i]);
    l.v.push_back(exp_avg_sq_[i]);
    l.steps.push_back(step_counts_[i]);
    counted.push_back(step_counts_[i]);
  }
  if (counted.empty()) return;
  if (counted.size() == step_counts_.size()) {
    step_buffer_.add_(1);
  } else {
    at::_foreach_add_(counted, 1);
  }
  const AdamSettings& s = settings_;
  for (const auto& [decay, l] : by_decay) {
    if (s.decoupled_decay) {
      at::_fused_adamw_(l.p, l.g, l.m, l.v, {}, l.steps, lr_, s.beta1, s.beta2, decay, s.eps, false, false,
                        grad_scale);
    } else {
      at::_fused_adam_(l.p, l.g, l.m, l.v, {}, l.steps, lr_, s.beta1, s.beta2, decay, s.eps, false, false,
                       grad_scale);
    }
  }
#else
  (void)grad_factor;
  TORCH_CHECK(false, "the fused Adam kernel needs LibTorch 2.4 or later");
#endif
}

void MultiTensorAdam::sync_step_counts() {
  for (size_t i = 0; i < step_counts_.size(); ++i) step_counts_[i].fill_(double(steps_[i]));
}

namespace {

void write_list(torch::serialize::OutputArchive& archive, const std::string& key,
                const std::vector<torch::Tensor>& tensors) {
  torch::serialize::OutputArchive list;
  for (size_t i = 0; i < tensors.size(); ++i) list.write(std::to_string(i), tensors[i]);
  archive.write(key, list);
}

void read_list(torch::serialize::InputArchive& archive, const std::string& key, std::vector<torch::Tensor>& into) {
  torch::serialize::InputArchive list;
  archive.read(key, list);
  for (size_t i = 0; i < into.size(); ++i) {
    torch::Tensor t;
    list.read(std::to_string(i), t);
    if (!t.sizes().equals(into[i].sizes())) {
      throw CheckpointError("optimizer state " + key + "." + std::to_string(i) + " has shape " + c10::str(t.sizes()) +
                            ", its parameter " + c10::str(into[i].sizes()));
    }
    into[i].copy_(t);
  }
}

// The moments and step count torch::optim kept for one parameter, if it had stepped.
template <class State>
bool copy_state(const torch::optim::Optimizer& from, const torch::Tensor& p, torch::Tensor& m, torch::Tensor& v,
                int64_t& steps) {
  // LibTorch 2.2 keys the state by the TensorImpl's address itself (pytorch PR 108480);
  // before, by that address printed as a string (c10::guts::to_string, since removed).
#if GEN_TORCH_AT_LEAST(2, 2)
  const auto it = from.state().find(p.unsafeGetTensorImpl());
#else
  const auto it = from.state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
#endif
  if (it == from.state().end()) return false;
  const auto& s = static_cast<const State&>(*it->second);
  m.copy_(s.exp_avg());
  v.copy_(s.exp_avg_sq());
  steps = s.step();
  return true;
}

}  // namespace

void MultiTensorAdam::save(torch::serialize::OutputArchive& archive) const {
  write_list(archive, "exp_avg", exp_avg_);
  write_list(archive, "exp_avg_sq", exp_avg_sq_);
  archive.write("steps", torch::tensor(steps_, torch::kInt64));
}

void MultiTensorAdam::load(torch::serialize::InputArchive& archive) {
  torch::NoGradGuard no_grad;
  torch::Tensor steps;
  archive.read("steps", steps);
  if (steps.dim() != 1 || steps.size(0) != int64_t(params_.size())) {
    throw CheckpointError("optimizer state for " + std::to_string(steps.numel()) + " parameters, the network has " +
                          std::to_string(params_.size()));
  }
  read_list(archive, "exp_avg", exp_avg_);
  read_list(archive, "exp_avg_sq", exp_avg_sq_);
  const torch::Tensor host = steps.to(torch::kCPU, torch::kInt64).contiguous();
  steps_.assign(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + host.numel());
  sync_step_counts();
}

void MultiTensorAdam::load_torch_optim(torch::serialize::InputArchive& archive,
                                       const std::vector<std::vector<size_t>>& groups) {
  torch::NoGradGuard no_grad;
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (const auto& group : groups) {
    std::vector<torch::Tensor> ps;
    for (size_t i : group) ps.push_back(params_.at(i));
    param_groups.emplace_back(ps);
  }
  std::unique_ptr<torch::optim::Optimizer> legacy;
  if (settings_.decoupled_decay) {
    legacy = std::make_unique<torch::optim::AdamW>(param_groups);
  } else {
    legacy = std::make_unique<torch::optim::Adam>(param_groups);
  }
  legacy->load(archive);
  for (size_t i = 0; i < params_.size(); ++i) {
    const bool had = settings_.decoupled_decay
                         ? copy_state<torch::optim::AdamWParamState>(*legacy, params_[i], exp_avg_[i], exp_avg_sq_[i],
                                                                     steps_[i])
                         : copy_state<torch::optim::AdamParamState>(*legacy, params_[i], exp_avg_[i], exp_avg_sq_[i],
                                                                    steps_[i]);
    if (!had) {
      exp_avg_[i].zero_();
      exp_avg_sq_[i].zero_();
      steps_[i] = 0;
    }
  }
  sync_step_counts();
}

}  // namespace gen
