#include "cli/sampler_flags.h"

#include "cli/validators.h"
#include "data/data_registry.h"
#include "models/model_checkpoint.h"
#include "models/generative_model.h"
#include "util/errors.h"

namespace gen {

namespace {
constexpr const char* kFlags[] = {"--sampler", "--steps", "--eta", "--guidance", "--guide"};
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
                  "diffusion models: guidance scale S, out = guide + S (model - guide); the guide is the model "
                  "without a class (class-conditional models: 0 unconditional, 1 conditional) or --guide's "
                  "network (default model.guidance)")
      ->check(kFinite & CLI::Range(0.0, 100.0));
  sub->add_option("--guide", request.guide,
                  "diffusion models: a checkpoint of a weaker model of the same data (an earlier step, a smaller "
                  "U-Net) to guide away from with --guidance S > 1 (autoguidance, Karras et al. 2024)");
}

void attach_guide(GenerativeModel& model, const SamplerRequest& request, torch::Device device) {
  if (request.guide.empty()) return;
  Checkpoint ckpt = open_checkpoint_resolved(request.guide, device);
  auto guide = build_model(ckpt.config, ckpt.data, device);
  restore_checkpoint(ckpt, *guide);
  model.set_guide(std::move(guide), request.guide + " (step " + std::to_string(ckpt.step) + ")");
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
