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

#include "core/batch.h"
#include "core/metrics.h"
#include "dist/gradient_reducer.h"
#include "optim/ema.h"
#include "optim/loss_scaler.h"
#include "optim/multi_tensor_adam.h"
#include "util/autocast.h"

namespace gen {

struct Config;
enum class OptimKernel;

// Whether optim.kernel `kernel` runs the fused Adam kernel on `device`; ConfigError when fused is
// asked for and this LibTorch lacks it.
bool uses_fused_adam(OptimKernel kernel, const torch::Device& device);

class NetOptimizer {
 public:
  // `use_ema`: whether this network keeps an EMA (when train.ema > 0). `precision` (resolved,
  // util/autocast.h): the autocast of train()'s forward passes, and loss scaling for fp16.
  NetOptimizer(torch::nn::Module& net, const Config& config, bool use_ema, Precision precision = Precision::kFp32);

  // Clears the gradients before one backward pass (a family that runs its own: a GAN).
  void zero_grad();

  struct Update {
    torch::Tensor grad_norm;  // before clipping, 0-dim on the device; undefined when clipping is off
    torch::Tensor skipped;    // 0-dim float on the device: 1 when the gradient was not finite and nothing changed
  };
  // Averages over the ranks (data-parallel), unscales (fp16), clips (when configured), steps
  // and updates the EMA, unless the gradient is not finite.
  Update step();
  // For a family that runs its own forward and backward (a GAN): the autocast scope of a
  // forward pass, and the loss as backward() must see it (scaled under fp16).
  AutocastScope autocast() const { return AutocastScope(precision_, device_); }
  torch::Tensor scaled(const torch::Tensor& loss) const { return scaler_.scale(loss); }
  // A gradient taken with autograd::grad of a scaled() value, back at the loss's own scale.
  torch::Tensor unscaled(const torch::Tensor& grad) const {
    return scaler_.enabled() ? grad / scaler_.current() : grad;
  }
  void set_lr(double lr);
  // This network's EMA when `wanted` and it keeps one, else null (for InferenceScope).
  const Ema* ema_if(bool wanted) const { return wanted ? ema_.get() : nullptr; }

  // Loss and metrics of one micro-batch.
  using MicroStep = std::function<std::pair<torch::Tensor, Metrics>(const Batch&)>;
  // One whole optimizer step over `batch`: zero_grad, gradients accumulated over `parts`
  // micro-batches (see accumulate_gradients), step. Returns the micro-batches' mean metrics,
  // plus grad_norm when clipping computed it, and whether the update was skipped.
  StepResult train(const Batch& batch, int64_t parts, const MicroStep& loss_of);

  void save(torch::serialize::OutputArchive& archive);
  void load(torch::serialize::InputArchive& archive);

 private:
  // zero_grad for a step whose gradients `backwards` backward passes accumulate.
  void start_step(int64_t backwards);

  std::vector<torch::Tensor> params_;
  std::vector<std::vector<size_t>> legacy_groups_;  // the decay and no-decay groups torch::optim was built with
  double clip_;
  Precision precision_;
  torch::Device device_;
  LossScaler scaler_;
  MultiTensorAdam adam_;
  std::unique_ptr<Ema> ema_;
  std::unique_ptr<GradientReducer> reducer_;  // data-parallel jobs only
};

// A network and its optimizer (with EMA) as two entries of a checkpoint archive.
void save_trained(torch::serialize::OutputArchive& archive, const std::string& net_key, const std::string& optim_key,
                  torch::nn::Module& net, NetOptimizer& optimizer);
void load_trained(torch::serialize::InputArchive& archive, const std::string& net_key, const std::string& optim_key,
                  torch::nn::Module& net, NetOptimizer& optimizer);

// Splits `batch` into `parts` equal micro-batches along dim 0, runs `loss_of` on each and
// backpropagates loss / parts, so the gradients equal those of the whole batch. Returns the
// mean over micro-batches of each metric `loss_of` reported.
Metrics accumulate_gradients(const Batch& batch, int64_t parts, const NetOptimizer::MicroStep& loss_of);

}  // namespace gen
