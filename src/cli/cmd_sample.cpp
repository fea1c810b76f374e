// gen sample --ckpt F [--n N] [--nrow R] [--seed S] [--out F.png]
// Rebuilds the model from the checkpoint alone and writes a PNG grid (or text).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "io/image_grid.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "util/device.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/threads.h"

namespace gen {

namespace {
struct SampleCommand {
  std::string ckpt;
  int64_t n = 64;
  int64_t nrow = 0;
  uint64_t seed = 0;
  std::string out = "samples.png";
  std::string device = "auto";
};

void run_sample(const SampleCommand& cmd) {
  const torch::Device device = choose_device(cmd.device);
  Checkpoint ckpt = open_checkpoint(cmd.ckpt, device);
  configure_threads(ckpt.config.runtime, find_model_kind(ckpt.config).workload);
  auto model = build_model(ckpt.config, ckpt.data, device);
  restore_checkpoint(ckpt, *model);

  SampleRequest request;
  request.n = cmd.n;
  request.seed = cmd.seed;
  const SampleOutput out = model->sample(request);
  if (out.images.defined()) {
    GridLayout layout;
    layout.nrow = cmd.nrow;
    write_png(cmd.out, make_grid(out.images, layout));
    spdlog::info("wrote {} ({} samples from {} at step {})", cmd.out, cmd.n, cmd.ckpt, ckpt.step);
  } else {
    write_file_atomic(cmd.out, out.text);
  }
}
}  // namespace

void setup_sample(CLI::App& app) {
  auto cmd = std::make_shared<SampleCommand>();
  CLI::App* sub = app.add_subcommand("sample", "Generate samples from a checkpoint");
  sub->add_option("--ckpt", cmd->ckpt, "checkpoint file (e.g. runs/NAME/checkpoints/latest.pt)")->required();
  sub->add_option("--n", cmd->n, "number of samples")->check(CLI::Range(int64_t(1), int64_t(4096)));
  sub->add_option("--nrow", cmd->nrow, "images per grid row (default: square grid)")
      ->check(CLI::Range(int64_t(0), int64_t(4096)));
  sub->add_option("--seed", cmd->seed, "seed for the noise; same seed, same images");
  sub->add_option("--out", cmd->out, "output file (.png for images)");
  sub->add_option("--device", cmd->device, "auto | cpu | cuda | cuda:N");
  sub->callback([cmd] { run_sample(*cmd); });
}

}  // namespace gen
