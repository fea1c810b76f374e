#include "cli/sampler_flags.h"

#include "cli/validators.h"
#include "models/generative_model.h"
#include "util/errors.h"

namespace gen {

namespace {
constexpr const char* kFlags[] = {"--sampler", "--steps", "--eta", "--guidance"};
}

void add_sampler_flags(CLI::App* sub, SamplerRequest& request) {
  sub->add_option("--sampler", request.sampler,
                  "diffusion models: ddpm | ddim (eps, v models) or euler | heun (flow models); default model.sampler")
      ->check(CLI::IsMember({"auto", "ddpm", "ddim", "euler", "heun"}));
  sub->add_option("--steps", request.steps, "diffusion models: sampler steps (default model.sample_steps)")
      ->check(CLI::Range(int64_t(1), int64_t(100'000)));
  sub->add_option("--eta", request.eta, "diffusion models, ddim: 0 deterministic .. 1 (default model.eta)")
      ->check(kFinite & CLI::Range(0.0, 1.0));
  sub->add_option("--guidance", request.guidance,
                  "class-conditional diffusion models: classifier-free guidance scale (0 unconditional, 1 "
                  "conditional, more: guided; default model.guidance)")
      ->check(kFinite & CLI::Range(0.0, 100.0));
}

std::vector<std::string> given_sampler_flags(const CLI::App* sub) {
  std::vector<std::string> given;
  for (const char* flag : kFlags) {
    if (sub->count(flag) > 0) given.emplace_back(flag);
  }
  return given;
}

void check_sampler_flags(const std::vector<std::string>& given, const GenerativeModel& model,
                         const SamplerRequest& request, const std::string& ckpt, const std::string& kind) {
  if (!given.empty() && model.sampler_settings(request).empty()) {
    throw UsageError(given.front() + ": applies to diffusion models; " + ckpt + " holds a model.kind " + kind +
                     ", which has no sampler to set");
  }
}

}  // namespace gen
