// gen eval --ckpt F [--n N] [--features CKPT] [--json F] [--iw-samples K] ...
// Rebuilds the model from its checkpoint and measures the family's quality figures on the
// held-out split: loss/accuracy, the IWAE bound of a VAE, per-token loss/bpc/perplexity of a
// language model over the whole split, FID/KID/IS/coverage of an image generator.
// gen eval --images DIR --features CKPT [--reference DIR] [--n N]: the image figures of
// image files (eval/image_files.h), e.g. another tool's samples of a gen export.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/load_model.h"
#include "cli/output_paths.h"
#include "cli/sampler_flags.h"
#include "cli/validators.h"
#include "data/data_registry.h"
#include "data/data_source.h"
#include "eval/image_files.h"
#include "eval/quality.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "util/allocator.h"
#include "util/device.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/stopwatch.h"
#include "util/threads.h"

namespace gen {

namespace {
struct EvalCommand {
  std::string ckpt;
  std::string features;
  std::string json;
  std::string data_root;
  std::string device = "auto";
  std::string images, reference;  // --images mode
  bool no_ema = false;
  bool skip_images = false;
  QualityBudget budget;
  std::vector<std::string> sampler_flags;  // given flags that apply to diffusion models only
  bool n_given = false;
};

void print_report(EvalReport& report, const EvalCommand& cmd, const Stopwatch& t0, std::ostream& print) {
  report.info.emplace_back("seconds", fmt::format("{:.1f}", t0.seconds()));
  report.info.emplace_back("malloc", configure_malloc());  // it changes the seconds (util/allocator.h)
  print << report_table(report);
  if (!cmd.json.empty()) {
    write_file_atomic(cmd.json, report_json(report));
    spdlog::info("wrote {}", cmd.json);
  }
}

void run_eval_images(const EvalCommand& cmd, std::ostream& print) {
  const Stopwatch t0;
  if (cmd.features.empty()) throw UsageError("--images needs --features CKPT (the classifier whose features score them)");
  const torch::Device device = choose_device(cmd.device);
  if (!cmd.json.empty()) check_outputs({{"--json", cmd.json}}, {cmd.features});
  FeatureNet net(cmd.features, device);
  const Config& trained = net.training_config();
  configure_threads(trained.runtime.thread_request(), find_model_kind(trained).workload(trained));
  configure_cuda_math(/*tf32=*/false, /*deterministic=*/false, device);
  ImageFilesRequest request;
  request.images = cmd.images;
  request.reference = cmd.reference;
  request.data_root = cmd.data_root;
  request.max_images = cmd.n_given ? cmd.budget.samples : 0;
  request.seed = cmd.budget.seed;
  EvalReport report = image_files_report(net, request);
  report.info = {{"images", cmd.images},
                 {"reference", cmd.reference.empty() ? "the feature network's held-out split" : cmd.reference},
                 {"feature_net", net.name() + " (" + net.path() + ", step " + std::to_string(net.step()) +
                                     "; a classifier gen trained, not ImageNet Inception)"},
                 {"seed", std::to_string(cmd.budget.seed)}};
  print_report(report, cmd, t0, print);
}

void run_eval(const EvalCommand& cmd, std::ostream& print) {
  if (!cmd.images.empty()) {
    run_eval_images(cmd, print);
    return;
  }
  if (cmd.ckpt.empty()) throw UsageError("gen eval needs --ckpt CKPT (a checkpoint) or --images DIR (image files)");
  const Stopwatch t0;
  const torch::Device device = choose_device(cmd.device);
  if (!cmd.json.empty()) check_outputs({{"--json", cmd.json}}, {cmd.ckpt, cmd.features, cmd.budget.sampler.guide});
  LoadedModel loaded = load_model(cmd.ckpt, device);
  Checkpoint& ckpt = loaded.checkpoint;
  std::unique_ptr<GenerativeModel>& model = loaded.model;
  restore_rng(ckpt);
  configure_threads(ckpt.config.runtime.thread_request(), find_model_kind(ckpt.config).workload(ckpt.config));
  // Reported figures in full float32 whatever the run trained with, so they compare across runs.
  configure_cuda_math(/*tf32=*/false, ckpt.config.runtime.deterministic, device);
  // The sampler the images are drawn with, checked against the model before anything is drawn.
  attach_guide(*model, ckpt.config, cmd.budget.sampler, device);
  check_sampler_flags(cmd.sampler_flags, *model, cmd.budget.sampler, cmd.ckpt, ckpt.config.model.kind);
  const auto sampler = model->sampler_settings(cmd.budget.sampler);

  Config data_config = ckpt.config;
  if (!cmd.data_root.empty()) data_config.data.root = cmd.data_root;
  data_config.train.eval_batches = 0;  // text: every window of the split, not a sample of them
  auto data = open_data_source(data_config, device);
  if (const std::string d = data_differences(ckpt.data, data->spec()); !d.empty()) {
    throw DataError(data_config.data.root + ": this data is not the data " + cmd.ckpt + " was trained on (" + d + ")");
  }
  if (data->eval_batch_count(EvalSplit::kVal) == 0) {
    throw DataError(data_config.data.root + ": no held-out split to evaluate on (" + data->describe() + ")");
  }

  std::unique_ptr<FeatureNet> features;
  if (!cmd.skip_images && model->draws_images()) {
    try {
      features = std::make_unique<FeatureNet>(find_feature_net(ckpt.config, cmd.features), device);
    } catch (const UsageError& e) {
      if (!cmd.features.empty()) throw;  // a feature network asked for by name must be there
      // None found: the other figures are still worth having (as during training).
      spdlog::warn("image figures (FID/KID/IS) skipped: {}", e.what());
    }
  }
  QualityBudget budget = cmd.budget;
  budget.use_ema = !cmd.no_ema;
  model->set_evaluate_with_ema(!cmd.no_ema);
  QualityEvaluator evaluator(*model, *data, std::move(features));
  EvalReport report = evaluator.run(budget);

  report.info = {{"checkpoint", cmd.ckpt},
                 {"model_kind", ckpt.config.model.kind},
                 {"step", std::to_string(ckpt.step)},
                 {"data", data->describe()},
                 {"weights", cmd.no_ema ? "raw" : "EMA when the checkpoint has it"},
                 {"seed", std::to_string(budget.seed)}};
  if (const FeatureNet* f = evaluator.features()) {
    report.info.emplace_back("feature_net", f->name() + " (" + f->path() + ", step " + std::to_string(f->step()) +
                                                "; a classifier gen trained, not ImageNet Inception)");
    report.info.emplace_back("samples", std::to_string(budget.samples));
    for (const auto& [key, value] : sampler) report.info.emplace_back(key, value);
  }
  print_report(report, cmd, t0, print);
}
}  // namespace

void setup_eval(CLI::App& app, std::ostream& out) {
  auto cmd = std::make_shared<EvalCommand>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Measure a checkpoint's quality figures on held-out data (table, and JSON with --json)");
  CLI::Option* ckpt = sub->add_option("--ckpt", cmd->ckpt, "checkpoint file (e.g. runs/NAME/checkpoints/latest.pt)");
  CLI::Option* images =
      sub->add_option("--images", cmd->images,
                      "instead of --ckpt: score the PNG/JPEG files in this folder (e.g. another tool's samples) "
                      "with --features")
          ->excludes(ckpt)
          ->check(CLI::ExistingDirectory);
  sub->add_option("--reference", cmd->reference,
                  "with --images: compare with the images in this folder (default: the feature network's held-out split)")
      ->needs(images)
      ->check(CLI::ExistingDirectory);
  sub->add_option("--n", cmd->budget.samples,
                  "image models: generated images (and held-out images they are compared with); with --images: the "
                  "first N files of each side")
      ->check(CLI::Range(int64_t(2), int64_t(1'000'000)));
  sub->add_option("--features", cmd->features,
                  "classifier checkpoint for FID/KID/IS (default: eval.features of the checkpoint's config)");
  sub->add_option("--json", cmd->json, "also write the figures as JSON to this file");
  sub->add_option("--iw-samples", cmd->budget.iw_samples,
                  "VAE: importance samples per example for the IWAE bound (0 = skip)")
      ->check(CLI::Range(int64_t(0), int64_t(100'000)));
  sub->add_option("--iw-examples", cmd->budget.iw_examples, "VAE: held-out examples for the IWAE bound (0 = all)")
      ->check(CLI::Range(int64_t(0), int64_t(100'000'000)));
  sub->add_option("--seed", cmd->budget.seed, "seed for generated images and importance samples");
  sub->add_option("--data", cmd->data_root, "data.root to read the held-out split from (default: the checkpoint's)");
  sub->add_option("--device", cmd->device, "auto | cpu | cuda | cuda:N")->check(kDevice);
  add_sampler_flags(sub, cmd->budget.sampler);
  sub->add_flag("--no-ema", cmd->no_ema, "evaluate the raw weights even when the checkpoint has EMA weights");
  sub->add_flag("--skip-images", cmd->skip_images, "image models: leave out FID/KID/IS (no feature network needed)");
  sub->add_flag(
      "--no-baseline", [cmd](int64_t) { cmd->budget.real_baseline = false; },
      "image models: leave out the real-vs-real figures");
  // What draws or restores a model has no meaning for image files.
  for (const char* flag : {"--iw-samples", "--iw-examples", "--no-ema", "--skip-images", "--no-baseline", "--sampler",
                           "--steps", "--eta", "--guidance", "--guide"}) {
    sub->get_option(flag)->excludes(images);
  }
  sub->callback([cmd, sub, &out] {
    cmd->sampler_flags = given_sampler_flags(sub);
    cmd->n_given = sub->count("--n") > 0;
    run_eval(*cmd, out);
  });
}

}  // namespace gen
