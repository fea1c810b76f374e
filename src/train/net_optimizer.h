// The training machinery every family shares, for one network: Adam or AdamW with the
// conventional no-decay group (biases, norms, position tables), gradient clipping by global
// norm, an optional EMA of the weights, and gradient accumulation over micro-batches.
// A family owns one NetOptimizer per network it trains inside its own train_step.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/generative_model.h"

namespace gen {

struct Config;

// Exponential moving average of a module's parameters (buffers are copied as they are).
// The decay warms up as min(decay, (1 + n) / (10 + n)) after n updates: with a fixed 0.999
// the random initial weights still made up 0.999^3000 = 5% of the average after 3000 steps,
// and early evaluations of the average were worse than the raw weights by tens of nats.
class Ema {
 public:
  Ema(torch::nn::Module& module, double decay);
  void update();
  // Swaps the averaged weights into the module until the returned guard is destroyed.
  std::shared_ptr<void> apply();
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  torch::nn::Module& module_;
  double decay_;
  int64_t updates_ = 0;
  std::vector<torch::Tensor> shadow_;  // one per parameter, same order as module_.parameters()
};

class NetOptimizer {
 public:
  // `use_ema`: whether this network keeps an EMA (when train.ema > 0).
  NetOptimizer(torch::nn::Module& net, const Config& config, bool use_ema);

  void zero_grad();
  // Clips (when configured), steps and updates the EMA; returns the gradient norm before clipping
  // when clipping is on (a 0-dim tensor on the device), else an undefined tensor. With a
  // non-finite gradient nothing is updated.
  torch::Tensor step();
  void set_lr(double lr);
  Ema* ema() { return ema_.get(); }
  // The EMA weights swapped in until the guard is destroyed, when `wanted` and this network
  // keeps an EMA; else a guard that does nothing.
  std::shared_ptr<void> use_ema(bool wanted) { return wanted && ema_ ? ema_->apply() : nullptr; }

  // One whole optimizer step over `batch`: zero_grad, gradients accumulated over `parts`
  // micro-batches (see accumulate_gradients), step. Returns loss_of's metrics averaged over the
  // micro-batches, plus grad_norm when clipping computed it.
  StepMetrics train(const Batch& batch, int64_t parts, const std::function<std::pair<torch::Tensor, StepMetrics>(const Batch&)>& loss_of);

  void save(torch::serialize::OutputArchive& archive);
  void load(torch::serialize::InputArchive& archive);

 private:
  torch::nn::Module& net_;
  std::vector<torch::Tensor> params_;
  double clip_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<Ema> ema_;
};

// Updates that NetOptimizer::step skipped for a non-finite gradient, on this thread, since
// start-up. The trainer compares it around a step to learn whether the step was bad, so that
// finding out costs no second host-device sync besides the one inside step().
int64_t skipped_updates();

// A network and its optimizer (with EMA) as two entries of a checkpoint archive.
void save_trained(torch::serialize::OutputArchive& archive, const std::string& net_key, const std::string& optim_key,
                  torch::nn::Module& net, NetOptimizer& optimizer);
void load_trained(torch::serialize::InputArchive& archive, const std::string& net_key, const std::string& optim_key,
                  torch::nn::Module& net, NetOptimizer& optimizer);

// Splits `batch` into `parts` equal micro-batches along dim 0, runs `loss_of` on each and
// backpropagates loss / parts, so the gradients equal those of the whole batch. Returns the
// mean over micro-batches of each metric `loss_of` reported.
using MicroStep = std::function<std::pair<torch::Tensor, StepMetrics>(const Batch&)>;
StepMetrics accumulate_gradients(const Batch& batch, int64_t parts, const MicroStep& loss_of);

}  // namespace gen
