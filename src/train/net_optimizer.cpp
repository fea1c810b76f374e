#include "train/net_optimizer.h"

#include <cmath>

#include "config/config.h"

namespace gen {

namespace {
// Weight matrices and convolution kernels decay; biases, norm scales and position tables don't.
bool decays(const std::string& name, const torch::Tensor& p) {
  return p.dim() >= 2 && name.find("pos_emb") == std::string::npos;
}

thread_local int64_t skipped_updates_ = 0;
}  // namespace

int64_t skipped_updates() { return skipped_updates_; }

Ema::Ema(torch::nn::Module& module, double decay) : module_(module), decay_(decay) {
  torch::NoGradGuard no_grad;
  for (const auto& p : module_.parameters()) shadow_.push_back(p.detach().clone());
}

void Ema::update() {
  torch::NoGradGuard no_grad;
  const auto params = module_.parameters();
  const double decay = std::min(decay_, (1.0 + double(updates_)) / (10.0 + double(updates_)));
  ++updates_;
  for (size_t i = 0; i < params.size(); ++i) shadow_[i].lerp_(params[i], 1.0 - decay);
}

std::shared_ptr<void> Ema::apply() {
  torch::NoGradGuard no_grad;
  auto params = module_.parameters();
  auto backup = std::make_shared<std::vector<torch::Tensor>>();
  for (size_t i = 0; i < params.size(); ++i) {
    backup->push_back(params[i].detach().clone());
    params[i].copy_(shadow_[i]);
  }
  return std::shared_ptr<void>(nullptr, [params, backup](void*) mutable {
    torch::NoGradGuard restore_no_grad;
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_((*backup)[i]);
  });
}

void Ema::save(torch::serialize::OutputArchive& archive) const {
  for (size_t i = 0; i < shadow_.size(); ++i) archive.write(std::to_string(i), shadow_[i]);
  archive.write("updates", torch::tensor(updates_, torch::kInt64));
}

void Ema::load(torch::serialize::InputArchive& archive) {
  for (size_t i = 0; i < shadow_.size(); ++i) {
    torch::Tensor t;
    archive.read(std::to_string(i), t);
    TORCH_CHECK(t.sizes() == shadow_[i].sizes(), "EMA tensor ", i, " has shape ", t.sizes(),
                ", the model expects ", shadow_[i].sizes());
    shadow_[i].copy_(t);
  }
  // Checkpoints from before the warm-up have no count: their average is past any warm-up.
  torch::Tensor updates;
  updates_ = archive.try_read("updates", updates) ? updates.item<int64_t>() : (int64_t(1) << 40);
}

NetOptimizer::NetOptimizer(torch::nn::Module& net, const Config& config, bool use_ema)
    : net_(net), clip_(config.optim.grad_clip) {
  const OptimConfig& o = config.optim;
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& item : net.named_parameters()) {
    (decays(item.key(), item.value()) ? decay : no_decay).push_back(item.value());
    params_.push_back(item.value());
  }
  const auto betas = std::make_tuple(o.betas[0], o.betas[1]);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (o.kind == "adamw") {
    auto with = [&](double wd) { return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o.lr).betas(betas).weight_decay(wd)); };
    if (!decay.empty()) groups.emplace_back(decay, with(o.weight_decay));
    if (!no_decay.empty()) groups.emplace_back(no_decay, with(0.0));
    optimizer_ = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(o.lr).betas(betas));
  } else {
    auto with = [&](double wd) { return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(o.lr).betas(betas).weight_decay(wd)); };
    if (!decay.empty()) groups.emplace_back(decay, with(o.weight_decay));
    if (!no_decay.empty()) groups.emplace_back(no_decay, with(0.0));
    optimizer_ = std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(o.lr).betas(betas));
  }
  if (use_ema && config.train.ema > 0) ema_ = std::make_unique<Ema>(net, config.train.ema);
}

void NetOptimizer::zero_grad() { optimizer_->zero_grad(); }

torch::Tensor NetOptimizer::step() {
  // The global gradient norm, as a tensor (clip_grad_norm_ returns a double in 1.13, a sync).
  std::vector<torch::Tensor> norms;
  for (const auto& p : params_) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().norm(2));
  }
  const torch::Tensor norm = norms.empty() ? torch::zeros({}) : torch::stack(norms).norm(2);
  // A non-finite gradient would poison the weights and Adam's moments for good: skip the
  // update (the trainer counts the step as bad through skipped_updates(), and rolls back when
  // they persist). One host sync per update, as torch.cuda.amp.GradScaler makes; on the CPU it
  // costs nothing measurable.
  if (!std::isfinite(norm.item<double>())) {
    ++skipped_updates_;
    return clip_ > 0 ? norm : torch::Tensor();
  }
  if (clip_ > 0) {
    const torch::Tensor scale = (clip_ / (norm + 1e-6)).clamp_max(1.0);
    for (auto& p : params_) {
      if (p.grad().defined()) p.grad().detach().mul_(scale);
    }
  }
  optimizer_->step();
  if (ema_) ema_->update();
  return clip_ > 0 ? norm : torch::Tensor();
}

StepMetrics NetOptimizer::train(const Batch& batch, int64_t parts,
                                const std::function<std::pair<torch::Tensor, StepMetrics>(const Batch&)>& loss_of) {
  zero_grad();
  StepMetrics m = accumulate_gradients(batch, parts, loss_of);
  const torch::Tensor norm = step();
  if (norm.defined()) m.emplace_back("grad_norm", norm);
  return m;
}

void NetOptimizer::set_lr(double lr) {
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

void NetOptimizer::save(torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive opt;
  optimizer_->save(opt);
  archive.write("optimizer", opt);
  if (ema_) {
    torch::serialize::OutputArchive ema;
    ema_->save(ema);
    archive.write("ema", ema);
  }
}

void NetOptimizer::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive opt;
  archive.read("optimizer", opt);
  optimizer_->load(opt);
  if (ema_) {
    torch::serialize::InputArchive ema;
    archive.read("ema", ema);
    ema_->load(ema);
  }
}

void save_trained(torch::serialize::OutputArchive& archive, const std::string& net_key, const std::string& optim_key,
                  torch::nn::Module& net, NetOptimizer& optimizer) {
  torch::serialize::OutputArchive n, o;
  net.save(n);
  optimizer.save(o);
  archive.write(net_key, n);
  archive.write(optim_key, o);
}

void load_trained(torch::serialize::InputArchive& archive, const std::string& net_key, const std::string& optim_key,
                  torch::nn::Module& net, NetOptimizer& optimizer) {
  torch::serialize::InputArchive n, o;
  archive.read(net_key, n);
  archive.read(optim_key, o);
  net.load(n);
  optimizer.load(o);
}

StepMetrics accumulate_gradients(const Batch& batch, int64_t parts, const MicroStep& loss_of) {
  if (parts <= 1) {
    auto [loss, metrics] = loss_of(batch);
    loss.backward();
    return metrics;
  }
  const auto xs = batch.x.chunk(parts, 0);
  const auto ys = batch.y.defined() ? batch.y.chunk(parts, 0) : std::vector<torch::Tensor>{};
  StepMetrics sum;
  for (int64_t i = 0; i < parts; ++i) {
    Batch micro{xs[size_t(i)], ys.empty() ? torch::Tensor() : ys[size_t(i)]};
    auto [loss, metrics] = loss_of(micro);
    (loss / double(parts)).backward();
    if (sum.empty()) {
      for (auto& [k, v] : metrics) sum.emplace_back(k, v.detach() / double(parts));
    } else {
      for (size_t j = 0; j < metrics.size(); ++j) sum[j].second = sum[j].second + metrics[j].second.detach() / double(parts);
    }
  }
  return sum;
}

}  // namespace gen
