// What `gen sample` and the training grids ask a model for, and what it gives back: images
// (prior draws, reconstructions, interpolations) or text (a continuation of a prompt).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/enum_names.h"

namespace gen {

// What a sample shows: draws from the prior (images), reconstructions of data or walks between
// encoded data (a VAE), a continuation of a prompt (text), or the way from noise to an image
// (a diffusion model: one row per sample, one column per chosen step). A family lists the modes it has.
enum class SampleMode { kPrior, kRecon, kInterp, kText, kTrajectory };
template <>
struct EnumNames<SampleMode> {
  static constexpr std::array<std::string_view, 5> names{"prior", "recon", "interp", "text", "trajectory"};
};

// Diffusion models: how to draw, each unset one the model's own (model.sampler, sample_steps, eta, guidance).
struct SamplerRequest {
  std::string sampler;  // "" = the model's
  std::optional<int64_t> steps;
  std::optional<double> eta;
  std::optional<double> shift;     // flow samplers: diffusers' FlowMatchEulerDiscreteScheduler shift
  std::optional<double> guidance;  // guidance scale s: out = guide + s (model - guide); 1 = the model alone
  std::vector<double> guidance_interval;  // {lo, hi}: the noise levels in [0, 1] guided; empty = the model's
  // A checkpoint whose network guides instead of the model's own class-less output
  // (autoguidance); "" = none. The command loads it and hands it to GenerativeModel::set_guide.
  std::string guide;
};

// Text models only: how to continue a prompt.
struct TextRequest {
  std::string prompt;
  int64_t tokens = 500;
  double temperature = 1.0;  // 0 = greedy
  int64_t top_k = 0;   // 0 = off
  double top_p = 1.0;  // 1 = off
  bool kv_cache = true;  // false: the full forward of the last block_size tokens for every token
  // When set, called with the prompt and then with each generated piece as soon as it is drawn
  // (gen sample prints a long continuation as it goes); the returned text is the same.
  std::function<void(const std::string&)> on_text;
};

struct SampleRequest {
  int64_t n = 64;
  uint64_t seed = 0;
  bool fixed_noise = false;        // use the model's saved noise bank (training grids), not the seed
  bool use_ema = true;             // sample with the EMA weights when the model keeps them
  std::optional<SampleMode> mode;  // nullopt = the family's default (GenerativeModel::sample_modes())
  torch::Tensor inputs;            // modes that start from data (recon, interp): (N, C, H, W) in [-1, 1]
  int64_t label = -1;              // class-conditional models: this class only; -1 = one class per row
  SamplerRequest sampler;
  TextRequest text;
};

struct SampleOutput {
  torch::Tensor images;  // (N, C, H, W) float in [-1, 1] on the CPU, or undefined
  int64_t nrow = 0;      // images per grid row the mode was laid out for; 0 = square
  std::string text;
  std::vector<std::string> row_labels;  // drawn left of each grid row (its class or code), or none
  torch::Tensor labels;                 // (N) int64: the class each image was drawn for (conditional models), or undefined
};

}  // namespace gen
