// The one interface every model family implements. The training loop, `gen sample` and the
// checkpointer only see this: a GAN owns both of its optimizers inside train_step, so the loop
// never knows how many networks a model has.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/batch.h"
#include "core/data_spec.h"
#include "core/metrics.h"
#include "core/sample.h"
#include "models/exported_network.h"
#include "util/errors.h"
#include "util/precision.h"

namespace gen {

struct Config;
class ImageClassifier;
class LikelihoodModel;

struct ModelContext {
  const Config& config;  // resolved; model.options holds the family's own keys
  DataSpec data;
  torch::Device device;
  Precision precision = Precision::kFp32;  // runtime.precision resolved for `device` (util/autocast.h)
};

class GenerativeModel {
 public:
  virtual ~GenerativeModel() = default;

  // Called before every step with the step number and the scheduled learning rate; the model
  // applies the lr to every optimizer it has (and may use the step, e.g. for KL warm-up).
  virtual void begin_step(int64_t step, double lr) = 0;
  // One optimisation step (for a GAN: D then G) through the family's NetOptimizers; the result
  // says whether any update was skipped for a non-finite gradient (the guard counts those).
  virtual StepResult train_step(const Batch& batch) = 0;
  // Metrics on a held-out batch without updating anything; empty when the family has none.
  virtual Metrics evaluate(const Batch& /*batch*/) { return {}; }
  // Whether evaluate() and the likelihood bounds use the EMA weights when the model keeps
  // them (the weights gen sample uses), or the raw ones (gen eval --no-ema).
  void set_evaluate_with_ema(bool on) { evaluate_with_ema_ = on; }

  // The first mode is the default. Modes other than the default may need request.inputs.
  // Empty: the family draws nothing (gen sample says so, training writes no grids).
  virtual std::vector<SampleMode> sample_modes() const { return {SampleMode::kPrior}; }

  // Whether a training step draws random numbers (noise, dropout, augmentation) for its own
  // rows only, not through models/batch_random.h: data-parallel ranks would then train other
  // numbers than one process, so such a config is refused on more than one rank.
  virtual bool rank_dependent_draws() const { return true; }
  // Into how many consecutive chunks a step splits its batch (train.accumulate micro-batches,
  // a GAN's n_critic critic steps): a data-parallel rank takes its share of every chunk.
  virtual int64_t batch_chunks() const { return 1; }

  // What the family can do beyond training and sampling (models/capabilities.h), as it declares:
  // its default mode draws images from a prior (so image figures apply to it)...
  virtual bool draws_images() const { return false; }
  // ...it bounds log p(x)...
  virtual LikelihoodModel* likelihood() { return nullptr; }
  // ...it labels images (so it can serve as a feature network)...
  virtual ImageClassifier* classifier() { return nullptr; }
  // ...its samples can be asked for one value of a class or latent code (SampleRequest::label,
  // gen sample --class): how many values there are, 0 when none.
  virtual int64_t sample_classes() const { return 0; }
  // ...its draws run a sampler whose settings a request may change (SampleRequest::sampler):
  // a diffusion model. The settings a request resolves to, as (name, value) for reports; the
  // request is checked against the model (UsageError) either way.
  virtual std::vector<std::pair<std::string, std::string>> sampler_settings(const SamplerRequest& /*request*/) const {
    return {};
  }
  virtual SampleOutput sample(const SampleRequest& request) = 0;
  // ...and its sampler can be guided by another model of the family (autoguidance, Karras et
  // al. 2024: a smaller or less trained version of it): `guide` is that model, `name` how
  // reports call it. UsageError when the family has no such guidance or `guide` does not fit.
  virtual void set_guide(std::unique_ptr<GenerativeModel> /*guide*/, const std::string& name) {
    throw UsageError("--guide " + name + ": only diffusion models are guided by another checkpoint");
  }

  // Every network, optimizer and buffer the model needs to continue training bit for bit.
  virtual void save(torch::serialize::OutputArchive& archive) = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;

  // The networks for other tools (gen export), with the EMA weights when `use_ema` and the
  // model keeps them; each probed on a fixed input drawn from a generator seeded with 0.
  virtual std::vector<ExportedNetwork> exported_networks(bool use_ema) = 0;

  // (network name, parameter count), e.g. {{"generator", 3574656}, {"discriminator", 2763520}}.
  virtual std::vector<std::pair<std::string, int64_t>> parameter_counts() const = 0;

 protected:
  bool evaluate_with_ema_ = true;
};

// Builds config.model.kind (options already resolved) for data of this shape on `device`.
std::unique_ptr<GenerativeModel> build_model(const Config& config, const DataSpec& data, torch::Device device);

// Sum of numel over a module's parameters.
int64_t count_parameters(const torch::nn::Module& module);

// `net` moved to `device` (built and initialised on the CPU first: the same weights for a seed on any device).
template <class Net>
Net on_device(Net net, const torch::Device& device) {
  net->to(device);
  return net;
}

}  // namespace gen
