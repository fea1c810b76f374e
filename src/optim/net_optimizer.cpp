#include "optim/net_optimizer.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <map>

#include "config/config.h"
#include "util/errors.h"

namespace gen {

namespace {
// Weight matrices and convolution kernels decay; biases, norm scales and position tables don't.
bool decays(const std::string& name, const torch::Tensor& p) {
  return p.dim() >= 2 && name.find("pos_emb") == std::string::npos;
}
// Adam or AdamW over two groups: weights with optim.weight_decay, the rest without.
template <class Optim, class Options>
std::unique_ptr<torch::optim::Optimizer> adam_like(const OptimConfig& o, const std::vector<torch::Tensor>& decay,
                                                   const std::vector<torch::Tensor>& no_decay) {
  const auto betas = std::make_tuple(o.betas[0], o.betas[1]);
  auto with = [&](double wd) { return std::make_unique<Options>(Options(o.lr).betas(betas).weight_decay(wd)); };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty()) groups.emplace_back(decay, with(o.weight_decay));
  if (!no_decay.empty()) groups.emplace_back(no_decay, with(0.0));
  return std::make_unique<Optim>(groups, Options(o.lr).betas(betas));
}

}  // namespace

NetOptimizer::NetOptimizer(torch::nn::Module& net, const Config& config, bool use_ema) : clip_(config.optim.grad_clip) {
  const OptimConfig& o = config.optim;
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& item : net.named_parameters()) {
    (decays(item.key(), item.value()) ? decay : no_decay).push_back(item.value());
    params_.push_back(item.value());
  }
  switch (o.kind) {
    case OptimKind::kAdam:
      optimizer_ = adam_like<torch::optim::Adam, torch::optim::AdamOptions>(o, decay, no_decay);
      break;
    case OptimKind::kAdamW:
      optimizer_ = adam_like<torch::optim::AdamW, torch::optim::AdamWOptions>(o, decay, no_decay);
      break;
  }
  if (use_ema && config.train.ema > 0) ema_ = std::make_unique<Ema>(net, config.train.ema);
}

void NetOptimizer::zero_grad() { optimizer_->zero_grad(); }

NetOptimizer::Update NetOptimizer::step() {
  // The global gradient norm, as a tensor (clip_grad_norm_ returns a double in 1.13, a sync).
  std::vector<torch::Tensor> norms;
  for (const auto& p : params_) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().norm(2));
  }
  const torch::Tensor norm = norms.empty() ? torch::zeros({}) : torch::stack(norms).norm(2);
  Update update;
  if (clip_ > 0) update.grad_norm = norm;
  // A non-finite gradient would poison the weights and Adam's moments for good: skip the
  // update (the step reports it; the trainer's guard rolls back when such steps persist). One
  // host sync per update, as torch.cuda.amp.GradScaler makes; on the CPU it costs nothing measurable.
  if (!std::isfinite(norm.item<double>())) {
    update.skipped = true;
    return update;
  }
  if (clip_ > 0) {
    const torch::Tensor scale = (clip_ / (norm + 1e-6)).clamp_max(1.0);
    for (auto& p : params_) {
      if (p.grad().defined()) p.grad().detach().mul_(scale);
    }
  }
  optimizer_->step();
  if (ema_) ema_->update();
  return update;
}

StepResult NetOptimizer::train(const Batch& batch, int64_t parts, const MicroStep& loss_of) {
  zero_grad();
  StepResult result;
  result.metrics = accumulate_gradients(batch, parts, loss_of);
  const Update update = step();
  if (update.grad_norm.defined()) result.add("grad_norm", update.grad_norm, Better::kNeither);
  result.skipped = update.skipped;
  return result;
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
  // train.ema may differ from the checkpoint's only under --force (config/diff.cpp refuses it otherwise).
  torch::serialize::InputArchive ema;
  const bool saved = archive.try_read("ema", ema);
  if (ema_ && saved) {
    ema_->load(ema);
  } else if (ema_) {
    ema_->reset();
    spdlog::warn("train.ema: the checkpoint keeps no weight average; a new one starts from the resumed weights");
  } else if (saved) {
    spdlog::warn("train.ema: the checkpoint's weight average is dropped (train.ema is 0 now)");
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

namespace {

// Every parameter's and buffer's shape by name, as "[8, 16, 4, 4]".
std::map<std::string, std::string> shapes_of(const torch::nn::Module& net) {
  std::map<std::string, std::string> shapes;
  for (const auto& p : net.named_parameters()) shapes[p.key()] = c10::str(p.value().sizes());
  for (const auto& b : net.named_buffers()) shapes[b.key()] = c10::str(b.value().sizes());
  return shapes;
}

}  // namespace

void load_trained(torch::serialize::InputArchive& archive, const std::string& net_key, const std::string& optim_key,
                  torch::nn::Module& net, NetOptimizer& optimizer) {
  torch::serialize::InputArchive n, o;
  archive.read(net_key, n);
  archive.read(optim_key, o);
  // LibTorch's loader replaces a tensor of another shape without a word (Tensor::set_), so a
  // model of another size would load "successfully": every shape is compared here.
  const auto built = shapes_of(net);
  net.load(n);
  for (const auto& [name, loaded] : shapes_of(net)) {
    const auto& expected = built.at(name);
    if (loaded != expected) {
      throw CheckpointError(net_key + "." + name + " has shape " + loaded + " in the checkpoint, " + expected +
                            " in the model as configured");
    }
  }
  optimizer.load(o);
}

Metrics accumulate_gradients(const Batch& batch, int64_t parts, const NetOptimizer::MicroStep& loss_of) {
  if (parts <= 1) {
    auto [loss, metrics] = loss_of(batch);
    loss.backward();
    return metrics;
  }
  const auto xs = batch.x.chunk(parts, 0);
  const auto ys = batch.y.defined() ? batch.y.chunk(parts, 0) : std::vector<torch::Tensor>{};
  Metrics sum;
  for (int64_t i = 0; i < parts; ++i) {
    Batch micro{xs[size_t(i)], ys.empty() ? torch::Tensor() : ys[size_t(i)]};
    auto [loss, metrics] = loss_of(micro);
    (loss / double(parts)).backward();
    if (sum.empty()) {
      sum = std::move(metrics);
      for (Metric& m : sum) m.value = m.value.detach() / double(parts);
    } else {
      for (size_t j = 0; j < metrics.size(); ++j)
        sum[j].value = sum[j].value + metrics[j].value.detach() / double(parts);
    }
  }
  return sum;
}

}  // namespace gen
