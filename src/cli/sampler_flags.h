// The flags of gen sample and gen eval that set a diffusion model's sampler (SamplerRequest),
// defined once, and their refusal for a model that has no sampler.
#pragma once

#include <CLI/CLI.hpp>
#include <torch/torch.h>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/sample.h"

namespace gen {

class GenerativeModel;

// --sampler, --steps, --eta, --shift, --guidance, --guidance-interval, --guide into `request`.
void add_sampler_flags(CLI::App* sub, SamplerRequest& request);
// Loads --guide's checkpoint (when given) on `device` and hands it to `model` (whose run's config
// is `config`) as its guide; UsageError when the guide was trained on another data kind.
void attach_guide(GenerativeModel& model, const Config& config, const SamplerRequest& request, torch::Device device);
// The ones the command line gave (call in the subcommand's callback).
std::vector<std::string> given_sampler_flags(const CLI::App* sub);
// UsageError naming the first given flag when `model` has no sampler to set.
void check_sampler_flags(const std::vector<std::string>& given, const GenerativeModel& model,
                         const SamplerRequest& request, const std::string& ckpt, const std::string& kind);

}  // namespace gen
