// The one interface every model family implements. The training loop, `gen sample` and the
// checkpointer only see this: a GAN owns both of its optimizers inside train_step, so the loop
// never knows how many networks a model has.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/data_spec.h"

namespace gen {

struct Config;

struct ModelContext {
  const Config& config;  // resolved; model.options holds the family's own keys
  DataSpec data;
  torch::Device device;
};

struct Batch {
  torch::Tensor x;  // images (B, C, H, W) float in [-1, 1], or tokens (B, T) int64; on the model's device
  torch::Tensor y;  // labels (B) int64, next tokens (B, T) int64, or undefined
};

// Scalars from one step, kept as 0-dim tensors on the device so that the loop syncs with the
// device only when it logs, not every step.
using StepMetrics = std::vector<std::pair<std::string, torch::Tensor>>;

struct SampleRequest {
  int64_t n = 64;
  uint64_t seed = 0;
  bool fixed_noise = false;  // use the model's saved noise bank (training grids), not the seed
  bool use_ema = true;       // sample with the EMA weights when the model keeps them
  std::string mode;          // "" = the family's default; see GenerativeModel::sample_modes()
  torch::Tensor inputs;      // modes that start from data (recon, interp): (N, C, H, W) in [-1, 1]
  int64_t label = -1;        // class-conditional models: this class only; -1 = one class per row
  // Text models.
  std::string prompt;
  int64_t tokens = 500;
  double temperature = 1.0;
  int64_t top_k = 0;         // 0 = off
  double top_p = 1.0;        // 1 = off
};

struct SampleOutput {
  torch::Tensor images;  // (N, C, H, W) float in [-1, 1] on the CPU, or undefined
  int64_t nrow = 0;      // images per grid row the mode was laid out for; 0 = square
  std::string text;
};

class GenerativeModel {
 public:
  virtual ~GenerativeModel() = default;

  // Called before every step with the step number and the scheduled learning rate; the model
  // applies the lr to every optimizer it has (and may use the step, e.g. for KL warm-up).
  virtual void begin_step(int64_t step, double lr) = 0;
  // One optimisation step (for a GAN: D then G). Updates go through NetOptimizer, whose
  // non-finite-gradient skips are how the trainer's guard sees a bad step.
  virtual StepMetrics train_step(const Batch& batch) = 0;
  // Metrics on a held-out batch without updating anything; empty when the family has none.
  virtual StepMetrics evaluate(const Batch& /*batch*/) { return {}; }
  // Whether evaluate() and the likelihood bounds use the EMA weights when the model keeps
  // them (the weights gen sample uses), or the raw ones (gen eval --no-ema).
  void set_evaluate_with_ema(bool on) { evaluate_with_ema_ = on; }

  // The first mode is the default. Modes other than the default may need request.inputs.
  virtual std::vector<std::string> sample_modes() const { return {"prior"}; }
  virtual SampleOutput sample(const SampleRequest& request) = 0;

  // Every network, optimizer and buffer the model needs to continue training bit for bit.
  virtual void save(torch::serialize::OutputArchive& archive) = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;

  // (network name, parameter count), e.g. {{"generator", 3574656}, {"discriminator", 2763520}}.
  virtual std::vector<std::pair<std::string, int64_t>> parameter_counts() const = 0;

 protected:
  bool evaluate_with_ema_ = true;
};

// Builds config.model.kind (options already resolved) for data of this shape on `device`.
std::unique_ptr<GenerativeModel> build_model(const Config& config, const DataSpec& data,
                                             torch::Device device);

// Sum of numel over a module's parameters.
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace gen
