// The flags of gen sample and gen eval that set a diffusion model's sampler (SamplerRequest),
// defined once, and their refusal for a model that has no sampler.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/sample.h"

namespace gen {

class GenerativeModel;

// --sampler, --steps, --eta, --guidance into `request`.
void add_sampler_flags(CLI::App* sub, SamplerRequest& request);
// The ones the command line gave (call in the subcommand's callback).
std::vector<std::string> given_sampler_flags(const CLI::App* sub);
// UsageError naming the first given flag when `model` has no sampler to set.
void check_sampler_flags(const std::vector<std::string>& given, const GenerativeModel& model,
                         const SamplerRequest& request, const std::string& ckpt, const std::string& kind);

}  // namespace gen
