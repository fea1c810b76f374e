#include "optim/net_optimizer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "config/config.h"
#include "dist/world.h"
#include "optim/global_norm.h"
#include "util/errors.h"
#include "util/torch_version.h"

namespace gen {

namespace {
// Weight matrices and convolution kernels decay; biases, norm scales and position tables don't.
bool decays(const std::string& name, const torch::Tensor& p) {
  return p.dim() >= 2 && name.find("pos_emb") == std::string::npos;
}

std::vector<torch::Tensor> parameters_of(torch::nn::Module& net) {
  std::vector<torch::Tensor> params;
  for (const auto& item : net.named_parameters()) params.push_back(item.value());
  return params;
}

std::vector<double> weight_decays(torch::nn::Module& net, double weight_decay) {
  std::vector<double> decay;
  for (const auto& item : net.named_parameters()) decay.push_back(decays(item.key(), item.value()) ? weight_decay : 0);
  return decay;
}

AdamSettings adam_settings(const OptimConfig& o, const torch::Device& device) {
  AdamSettings s;
  s.decoupled_decay = o.kind == OptimKind::kAdamW;
  s.beta1 = o.betas[0];
  s.beta2 = o.betas[1];
  s.fused = uses_fused_adam(o.kernel, device);
  return s;
}

// Test hook: GEN_FAULT_INIT_RANK=R makes rank R's initial weights differ from the others'
// (as a rank-dependent initialisation would), which the broadcast from rank 0 must undo.
void perturb_for_test(const std::vector<torch::Tensor>& state) {
  const char* env = std::getenv("GEN_FAULT_INIT_RANK");
  if (!env || std::atoll(env) != world().rank()) return;
  torch::NoGradGuard no_grad;
  for (const auto& t : state) {
    if (t.is_floating_point()) t.add_(0.01);
  }
}

}  // namespace

bool uses_fused_adam(OptimKernel kernel, const torch::Device& device) {
  const bool available = fused_adam_available(device);
  if (kernel == OptimKernel::kFused && !available) {
    throw ConfigError(fmt::format("optim.kernel: fused needs LibTorch 2.4 or later with the kernel for {} (this gen "
                                  "was built with LibTorch {}.{}); use auto or foreach",
                                  device.str(), TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR));
  }
  return kernel == OptimKernel::kFused || (kernel == OptimKernel::kAuto && available);
}

NetOptimizer::NetOptimizer(torch::nn::Module& net, const Config& config, bool use_ema, Precision precision)
    : params_(parameters_of(net)),
      clip_(config.optim.grad_clip),
      precision_(precision),
      device_(params_.empty() ? torch::Device(torch::kCPU) : params_.front().device()),
      scaler_(precision == Precision::kFp16, device_),
      adam_(params_, weight_decays(net, config.optim.weight_decay), adam_settings(config.optim, device_)) {
  adam_.set_lr(config.optim.lr);
  // Checkpoints before MultiTensorAdam hold torch::optim's state for these two groups, decay first.
  std::vector<size_t> decay, no_decay;
  size_t i = 0;
  for (const auto& item : net.named_parameters()) (decays(item.key(), item.value()) ? decay : no_decay).push_back(i++);
  for (auto* group : {&decay, &no_decay}) {
    if (!group->empty()) legacy_groups_.push_back(*group);
  }
  // Data-parallel: every rank starts from rank 0's weights and buffers, whatever its own
  // initialisation drew (the EMA, made next, starts from them too). A resumed job then loads
  // the same checkpoint on every rank.
  if (world().joined()) {
    std::vector<torch::Tensor> state = params_;
    for (const auto& b : net.buffers()) state.push_back(b);
    perturb_for_test(state);
    world().broadcast(state, 0);
    reducer_ = std::make_unique<GradientReducer>(params_, config.runtime.dist_bucket_mb);
  }
  if (use_ema && config.train.ema > 0) ema_ = std::make_unique<Ema>(net, config.train.ema);
}

void NetOptimizer::zero_grad() { start_step(1); }

void NetOptimizer::start_step(int64_t backwards) {
  adam_.zero_grad();
  if (reducer_) reducer_->expect(backwards);  // the bucketed all-reduce follows the last of them
}

NetOptimizer::Update NetOptimizer::step() {
  // Nothing here is differentiated (as PyTorch's optimizer.step and clip_grad_norm_ run): no
  // autograd bookkeeping, and gen bench --profile files the norm and clipping under no-grad.
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params_) {
    if (p.grad().defined()) grads.push_back(p.grad().detach());
  }
  // Data-parallel: every rank now holds the global batch's gradient, so the norm, the skip
  // decision and the update below are the same on every rank.
  if (reducer_) reducer_->finish();
  // Under fp16 the gradients still carry the loss scale: the norm is theirs divided by it, and
  // the scale leaves them in the same factor as the clipping, which the update applies (the
  // fused kernel inside its own pass over the gradients).
  const torch::Tensor unscale = scaler_.enabled() ? scaler_.current().reciprocal() : torch::Tensor();
  const torch::Tensor norm = unscale.defined() ? global_norm(grads) * unscale : global_norm(grads);
  Update update;
  if (clip_ > 0) update.grad_norm = norm;
  // A non-finite gradient would poison the weights and Adam's moments for good: the update is
  // skipped (the step reports it on the device; the trainer's guard reads it at log steps and
  // rolls back when such steps persist; under fp16 only the overflows that are not the loss
  // scale's, see LossScaler::update). This path decides on the host: on the CPU reading the
  // flag is a load from memory.
  const torch::Tensor found_inf = norm.isfinite().logical_not();
  update.skipped = scaler_.update(found_inf);
  if (found_inf.item<bool>()) return update;
  torch::Tensor factor = unscale;
  if (clip_ > 0) {
    // A norm within the bound gives exactly 1, which the update applies without a pass over the
    // gradients (MultiTensorAdam::step).
    const torch::Tensor clip = (clip_ / (norm + 1e-6)).clamp_max(1.0);
    factor = factor.defined() ? factor * clip : clip;
  }
  adam_.step(factor);
  if (ema_) ema_->update();
  return update;
}

StepResult NetOptimizer::train(const Batch& batch, int64_t parts, const MicroStep& loss_of) {
  start_step(std::max<int64_t>(parts, 1));
  StepResult result;
  // The forward pass under autocast (runtime.precision), the backward pass outside it, as
  // PyTorch's AMP recipe has it; the loss in float32, scaled under fp16.
  const MicroStep in_precision = [&](const Batch& micro) {
    std::pair<torch::Tensor, Metrics> out;
    {
      const AutocastScope autocast(precision_, device_);
      out = loss_of(micro);
    }
    out.first = scaler_.scale(out.first.to(torch::kFloat));
    return out;
  };
  result.metrics = accumulate_gradients(batch, parts, in_precision);
  const Update update = step();
  if (update.grad_norm.defined()) result.add("grad_norm", update.grad_norm, Better::kNeither);
  result.skipped = update.skipped;
  return result;
}

void NetOptimizer::set_lr(double lr) { adam_.set_lr(lr); }

void NetOptimizer::save(torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive adam;
  adam_.save(adam);
  archive.write("adam", adam);
  if (scaler_.enabled()) {
    torch::serialize::OutputArchive scaler;
    scaler_.save(scaler);
    archive.write("loss_scaler", scaler);
  }
  if (ema_) {
    torch::serialize::OutputArchive ema;
    ema_->save(ema);
    archive.write("ema", ema);
  }
}

void NetOptimizer::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive adam;
  if (archive.try_read("adam", adam)) {
    adam_.load(adam);
  } else {  // a checkpoint before MultiTensorAdam: torch::optim's archive
    archive.read("optimizer", adam);
    adam_.load_torch_optim(adam, legacy_groups_);
  }
  // A run that switches to fp16 starts a new scale; one that leaves it drops the old.
  torch::serialize::InputArchive scaler;
  if (archive.try_read("loss_scaler", scaler) && scaler_.enabled()) scaler_.load(scaler);
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
