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
  torch::Tensor x;  // (B, C, H, W) float in [-1, 1], on the model's device
  torch::Tensor y;  // (B) int64 labels, or undefined
};

// Scalars from one step, kept as 0-dim tensors on the device so that the loop syncs with the
// device only when it logs, not every step.
using StepMetrics = std::vector<std::pair<std::string, torch::Tensor>>;

struct SampleRequest {
  int64_t n = 64;
  uint64_t seed = 0;
  bool fixed_noise = false;  // use the model's saved noise bank (training grids), not the seed
};

struct SampleOutput {
  torch::Tensor images;  // (N, C, H, W) float in [-1, 1] on the CPU, or undefined
  std::string text;
};

class GenerativeModel {
 public:
  virtual ~GenerativeModel() = default;

  // One optimisation step (for a GAN: D then G).
  virtual StepMetrics train_step(const Batch& batch) = 0;
  // The loop owns the schedule; the model applies it to every optimizer it has.
  virtual void set_lr(double lr) = 0;
  virtual SampleOutput sample(const SampleRequest& request) = 0;

  // Every network, optimizer and buffer the model needs to continue training bit for bit.
  virtual void save(torch::serialize::OutputArchive& archive) = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;

  // (network name, parameter count), e.g. {{"generator", 3574656}, {"discriminator", 2763520}}.
  virtual std::vector<std::pair<std::string, int64_t>> parameter_counts() const = 0;
};

// Builds config.model.kind (options already resolved) for data of this shape on `device`.
std::unique_ptr<GenerativeModel> build_model(const Config& config, const DataSpec& data,
                                             torch::Device device);

// Sum of numel over a module's parameters.
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace gen
