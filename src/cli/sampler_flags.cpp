#include "cli/sampler_flags.h"

#include <spdlog/spdlog.h>

#include "cli/load_model.h"
#include "cli/validators.h"
#include "models/generative_model.h"
#include "util/enum_names.h"
#include "util/errors.h"
#include "util/fs.h"

namespace gen {

namespace {
constexpr const char* kFlags[] = {"--sampler",  "--steps",             "--eta",  "--shift",
                                  "--guidance", "--guidance-interval", "--guide"};
}

void add_sampler_flags(CLI::App* sub, SamplerRequest& request) {
  sub->add_option("--sampler", request.sampler,
                  "diffusion models: ddpm | ddim (eps, v models) or euler | heun (flow models); default model.sampler")
      ->check(CLI::IsMember({"auto", "ddpm", "ddim", "euler", "heun"}));
  sub->add_option("--steps", request.steps, "diffusion models: sampler steps (default model.sample_steps)")
      ->check(CLI::Range(int64_t(1), int64_t(100'000)));
  sub->add_option("--eta", request.eta,
                  "diffusion models, ddim and euler: noise added at each step, 0 deterministic .. 1 the full DDPM "
                  "posterior's (default model.eta)")
      ->check(kFinite & CLI::Range(0.0, 1.0));
  sub->add_option("--shift", request.shift,
                  "diffusion models, euler and heun: flow times t become k t / (1 + (k - 1) t), k below 1 crowds "
                  "the steps near the data (default model.sample_shift)")
      ->check(kFinite & CLI::Range(0.01, 100.0));
  sub->add_option("--guidance", request.guidance,
                  "diffusion models: guidance scale S, out = guide + S (model - guide); the guide is the model "
                  "without a class (class-conditional models: 0 unconditional, 1 conditional) or --guide's "
                  "network (default model.guidance)")
      ->check(kFinite & CLI::Range(0.0, 100.0));
  sub->add_option("--guidance-interval", request.guidance_interval,
                  "diffusion models: LO,HI: guide only the steps whose noise level (flow time, or timestep / "
                  "model.timesteps) lies in [LO, HI], the model alone elsewhere (default model.guidance_interval)")
      ->delimiter(',')
      ->expected(2)
      ->check(kFinite & CLI::Range(0.0, 1.0));
  sub->add_option("--guide", request.guide,
                  "diffusion models: a checkpoint of a weaker model of the same data (an earlier step, a smaller "
                  "U-Net) to guide away from with --guidance S > 1 (autoguidance, Karras et al. 2024)");
}

void attach_guide(GenerativeModel& model, const Config& config, const SamplerRequest& request, torch::Device device) {
  if (request.guide.empty()) return;
  LoadedModel guide = load_model(request.guide, device);
  // The same images are needed, not only the same shape: MNIST and Fashion-MNIST share 1x28x28.
  const DataKind its = guide.checkpoint.config.data.kind;
  if (its != config.data.kind) {
    throw UsageError("--guide " + request.guide + ": trained on data.kind " + enum_name(its) + ", the model on " +
                     enum_name(config.data.kind));
  }
  // image_folder: the same kind is not the same images. Compared as paths, the folder may have
  // moved since either run, so a difference is said, not refused.
  const std::string& its_root = guide.checkpoint.config.data.root;
  if (its == DataKind::kImageFolder && !same_path(its_root, config.data.root)) {
    spdlog::warn("--guide {}: trained on the images of data.root {}, the model on {}; autoguidance needs a guide of "
                 "the same images",
                 request.guide, its_root, config.data.root);
  }
  model.set_guide(std::move(guide.model), request.guide + " (step " + std::to_string(guide.checkpoint.step) + ")");
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
