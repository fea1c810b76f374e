// gen sample --ckpt F [--mode M] [--n N] [--nrow R] [--seed S] [--out F] [text options]
// gen sample --ckpt F --format files --n N --out DIR
// Rebuilds the model from the checkpoint alone and writes a PNG grid, or prints text; or
// writes N numbered PNGs (for FID tools that read a folder, e.g. clean-fid, torch-fidelity).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ostream>

#include "cli/commands.h"
#include "cli/load_model.h"
#include "cli/output_paths.h"
#include "cli/sampler_flags.h"
#include "cli/validators.h"
#include "data/data_registry.h"
#include "data/data_source.h"
#include "io/image_grid.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "util/device.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/threads.h"

namespace gen {

namespace {
struct SampleCommand {
  std::string ckpt;
  std::string mode;
  int64_t n = 64;
  int64_t nrow = 0;
  uint64_t seed = 0;
  std::string out;
  std::string device = "auto";
  std::string data_root;  // recon / interp: where the checkpoint's data set lives now
  bool no_ema = false;
  bool no_kv_cache = false;
  int64_t label = -1;
  std::string format = "grid";
  TextRequest text;
  SamplerRequest sampler;
  std::vector<std::string> sampler_flags;  // given flags that apply to models with a sampler (diffusion)
  std::vector<std::string> image_flags;  // given flags that apply to image models only
  std::vector<std::string> text_flags;   // given flags that apply to text models only
};

// Flags given that do not apply to this model are refused, not ignored.
void check_flags_apply(const SampleCommand& cmd, const GenerativeModel& model, SampleMode mode,
                       const std::string& kind) {
  const bool text = mode == SampleMode::kText;
  const std::vector<std::string>& wrong = text ? cmd.image_flags : cmd.text_flags;
  if (!wrong.empty()) {
    throw UsageError(wrong.front() + ": applies to " + (text ? "image" : "text") + " models; " + cmd.ckpt +
                     " holds a model.kind " + kind + " that " + (text ? "writes text" : "draws images"));
  }
  check_sampler_flags(cmd.sampler_flags, model, cmd.sampler, cmd.ckpt, kind);
  if (cmd.label >= 0 && model.sample_classes() == 0) {
    throw UsageError("--class " + std::to_string(cmd.label) + ": " + cmd.ckpt +
                     " holds a model without classes or latent codes to choose from");
  }
  if (!text && cmd.format == "grid" && !cmd.out.empty() && image_encoding(cmd.out).empty()) {
    throw UsageError("--out " + cmd.out + ": images are written as .png or .jpg; name the file so");
  }
  if (text && !cmd.out.empty() && !image_encoding(cmd.out).empty()) {
    throw UsageError("--out " + cmd.out + ": " + cmd.ckpt + " holds a text model, whose samples are text: name a " +
                     "text file (.txt), or leave --out out to print them");
  }
}

// --format files: N files must fit, in bytes and in inodes, before the first is written. A PNG
// of C x H x W bytes is at most that plus its headers, and takes at least one block.
void check_room_for_files(const SampleCommand& cmd, const DataSpec& data) {
  const std::string where = path_exists(cmd.out) ? cmd.out : parent_dir(cmd.out);
  const FreeSpace room = free_space(where);
  if (!room.known) return;
  const uint64_t n = uint64_t(cmd.n);
  const uint64_t raw = uint64_t(data.shape.channels * data.shape.height * data.shape.width) + 1024;
  const uint64_t per_file = std::max<uint64_t>(raw, room.block_size);
  if (room.inodes_counted && n > room.inodes) {
    throw UsageError(fmt::format("--n {}: {} can hold {} more files (free inodes), not {}", cmd.n, where, room.inodes,
                                 cmd.n));
  }
  if (n > room.bytes / per_file) {
    throw UsageError(fmt::format("--n {}: {} images take up to {} MiB, and {} has {} MiB free", cmd.n, cmd.n,
                                 n * per_file >> 20, where, room.bytes >> 20));
  }
}

// N images as DIR/000000.png, ... in batches of 256 (batch b drawn with seed + b, and always
// whole, so a given --seed gives the same files whatever N), with a progress line per batch. A model whose draws lay
// out one class or code per row may return fewer than asked per batch; drawing goes on until N.
void write_sample_files(const SampleCommand& cmd, GenerativeModel& model, SampleRequest request,
                        const Checkpoint& ckpt) {
  if (cmd.out.empty()) throw UsageError("--format files: name the folder to write into with --out DIR");
  if (path_exists(cmd.out) && !is_directory(cmd.out)) {
    throw UsageError("--out " + cmd.out + ": --format files writes into a folder, and this is a file");
  }
  if (path_exists(cmd.out) && !list_folder(cmd.out).empty()) {
    throw UsageError("--out " + cmd.out + ": the folder is not empty; name a new or empty one");
  }
  check_room_for_files(cmd, ckpt.data);
  make_dirs(cmd.out);
  constexpr int64_t kBatch = 256;
  const int64_t digits = std::max<int64_t>(6, int64_t(std::to_string(cmd.n - 1).size()));
  const auto t0 = std::chrono::steady_clock::now();
  int64_t written = 0;
  for (int64_t b = 0; written < cmd.n; ++b) {
    request.n = kBatch;
    request.seed = cmd.seed + uint64_t(b);
    const torch::Tensor images = model.sample(request).images;
    if (!images.defined() || images.size(0) == 0) throw UsageError("--format files: the model drew no images");
    for (int64_t i = 0; i < images.size(0) && written < cmd.n; ++i, ++written) {
      write_png(fmt::format("{}/{:0{}d}.png", cmd.out, written, digits),
                make_grid(images.narrow(0, i, 1), GridLayout{1, 0, 0, {}}));
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spdlog::info("{}/{} images ({:.0f}/s) in {}", written, cmd.n, double(written) / std::max(s, 1e-9), cmd.out);
  }
  spdlog::info("wrote {} images to {} (from {} at step {}, seed {})", written, cmd.out, cmd.ckpt, ckpt.step, cmd.seed);
}

void run_sample(const SampleCommand& cmd, std::ostream& print) {
  const torch::Device device = choose_device(cmd.device);
  LoadedModel loaded = load_model(cmd.ckpt, device);
  Checkpoint& ckpt = loaded.checkpoint;
  std::unique_ptr<GenerativeModel>& model = loaded.model;
  restore_rng(ckpt);
  configure_threads(ckpt.config.runtime.thread_request(), find_model_kind(ckpt.config).workload(ckpt.config));
  configure_cuda_math(ckpt.config.runtime.tf32, ckpt.config.runtime.deterministic, device);
  attach_guide(*model, ckpt.config, cmd.sampler, device);

  const auto modes = model->sample_modes();
  if (modes.empty()) {
    throw UsageError(cmd.ckpt + ": model.kind " + ckpt.config.model.kind + " draws no samples; `gen eval --ckpt " +
                     cmd.ckpt + "` reports its figures");
  }
  const std::optional<SampleMode> asked = cmd.mode.empty() ? modes.front() : enum_from_name<SampleMode>(cmd.mode);
  if (!asked || std::find(modes.begin(), modes.end(), *asked) == modes.end()) {
    std::string list;
    for (const SampleMode m : modes) {
      if (!list.empty()) list += '|';
      list += enum_name(m);
    }
    throw UsageError("--mode " + cmd.mode + ": model.kind " + ckpt.config.model.kind + " samples in modes " + list);
  }
  const SampleMode mode = *asked;
  check_flags_apply(cmd, *model, mode, ckpt.config.model.kind);
  if (cmd.format == "files" && (mode == SampleMode::kText || mode != modes.front())) {
    throw UsageError("--format files: writes images drawn from the model's prior; " +
                     (mode == SampleMode::kText ? cmd.ckpt + " holds a text model" : "--mode " + cmd.mode + " is not that"));
  }
  if (cmd.format != "files" && cmd.n > 4096) {
    throw UsageError("--n " + std::to_string(cmd.n) + ": a grid holds at most 4096 images; --format files writes more");
  }
  if (cmd.format != "files" && (mode != SampleMode::kText || !cmd.out.empty())) {
    check_outputs({{"--out", cmd.out.empty() ? "samples.png" : cmd.out}}, {cmd.ckpt, cmd.sampler.guide});
  }
  SampleRequest request;
  request.text = cmd.text;
  request.text.kv_cache = !cmd.no_kv_cache;
  const bool stream = mode == SampleMode::kText && cmd.out.empty();
  if (stream) request.text.on_text = [&print](const std::string& piece) { print << piece << std::flush; };
  request.label = cmd.label;
  request.n = cmd.n;
  request.seed = cmd.seed;
  request.mode = mode;
  request.use_ema = !cmd.no_ema;
  request.sampler = cmd.sampler;
  if (mode == SampleMode::kRecon || mode == SampleMode::kInterp) {  // data-driven modes start from held-out examples
    Config data_config = ckpt.config;
    if (!cmd.data_root.empty()) data_config.data.root = cmd.data_root;
    request.inputs = open_data_source(data_config, device)->examples(mode == SampleMode::kInterp ? 2 * cmd.n : cmd.n).x;
  }
  if (cmd.format == "files") {
    write_sample_files(cmd, *model, request, ckpt);
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  const SampleOutput out = model->sample(request);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (mode == SampleMode::kText) {  // after the text (stream: on stderr, below it)
    if (stream) print << "\n" << std::flush;
    spdlog::info("{} tokens in {:.2f} s ({:.0f} tokens/s, {})", cmd.text.tokens, seconds, double(cmd.text.tokens) / seconds,
                 cmd.no_kv_cache ? "no KV cache" : "KV cache");
  }
  if (out.images.defined()) {
    GridLayout layout;
    layout.nrow = cmd.nrow > 0 ? cmd.nrow : out.nrow;
    if (cmd.nrow == 0 || cmd.nrow == out.nrow) layout.row_labels = out.row_labels;  // rows as the model laid them out
    if (out.images.size(0) != cmd.n && mode == SampleMode::kPrior && model->sample_classes() > 0) {
      const int64_t values = model->sample_classes();
      spdlog::warn("--n {}: drew {}, {} for each of the {} classes or codes: the grid has one row per value, so it "
                   "shows a multiple of {} (--n {} for the next size up, --class K for any number of one)",
                   cmd.n, out.images.size(0), out.images.size(0) / values, values, values,
                   (cmd.n / values + 1) * values);
    }
    const std::string path = cmd.out.empty() ? "samples.png" : cmd.out;
    write_image(path, make_grid(out.images, layout));
    spdlog::info("wrote {} ({} mode, {} images, from {} at step {})", path, enum_name(mode), out.images.size(0),
                 cmd.ckpt, ckpt.step);
  } else if (!stream) {
    write_file_atomic(cmd.out, out.text);
    spdlog::info("wrote {} ({} characters from {} at step {})", cmd.out, out.text.size(), cmd.ckpt, ckpt.step);
  }
}
}  // namespace

void setup_sample(CLI::App& app, std::ostream& out) {
  auto cmd = std::make_shared<SampleCommand>();
  CLI::App* sub = app.add_subcommand("sample", "Generate samples from a checkpoint (PNG grid, or text)");
  sub->add_option("--ckpt", cmd->ckpt, "checkpoint file (e.g. runs/NAME/checkpoints/latest.pt)")->required();
  sub->add_option("--mode", cmd->mode,
                  "image models: prior (default); recon or interp for a VAE; trajectory for a diffusion model (a "
                  "row per sample, a column per chosen step)");
  sub->add_option("--n", cmd->n, "number of samples (recon: inputs; interp: rows); a grid holds up to 4096")
      ->check(CLI::Range(int64_t(1), int64_t(100'000'000)));
  sub->add_option("--format", cmd->format,
                  "grid: one image (default); files: N numbered PNGs in the folder --out, for FID tools")
      ->check(CLI::IsMember({"grid", "files"}));
  sub->add_option("--nrow", cmd->nrow, "images per grid row (default: the mode's layout)")
      ->check(CLI::Range(int64_t(0), int64_t(4096)));
  sub->add_option("--seed", cmd->seed, "seed for the noise; same seed, same samples");
  sub->add_option("--out", cmd->out,
                  "output file: .png or .jpg for images (default samples.png); text goes to stdout as it is "
                  "drawn unless given");
  sub->add_option("--device", cmd->device, "auto | cpu | cuda | cuda:N")->check(kDevice);
  sub->add_option("--data", cmd->data_root,
                  "recon/interp: data.root to read examples from (default: the checkpoint's)");
  sub->add_option("--class", cmd->label,
                  "class-conditional models: samples of this class only; models with latent_codes: this code only "
                  "(default: one class or code per row)")
      ->check(CLI::Range(int64_t(0), int64_t(1'000'000)));
  add_sampler_flags(sub, cmd->sampler);
  sub->add_flag("--no-ema", cmd->no_ema, "sample with the raw weights even when the checkpoint has EMA weights");
  sub->add_option("--prompt", cmd->text.prompt, "text models: the text to continue");
  sub->add_option("--tokens", cmd->text.tokens, "text models: tokens to generate")
      ->check(CLI::Range(int64_t(1), int64_t(1'000'000)));
  sub->add_option("--temperature", cmd->text.temperature,
                  "text models: softmax temperature; 0 = greedy (always the most likely token)")
      ->check(kFinite & CLI::Range(0.0, 100.0));
  sub->add_option("--top-k", cmd->text.top_k, "text models: sample from the k most likely tokens (0 = all)")
      ->check(CLI::Range(int64_t(0), int64_t(1'000'000)));
  sub->add_option("--top-p", cmd->text.top_p, "text models: nucleus sampling mass (1 = off)")
      ->check(kFinite & CLI::Range(1e-6, 1.0));
  sub->add_flag("--no-kv-cache", cmd->no_kv_cache,
                "text models: recompute the whole context for every token (nanoGPT's window of the last block_size "
                "tokens) instead of keeping keys and values; slower, and the reference the cache is tested against");
  sub->callback([cmd, sub, &out] {
    cmd->sampler_flags = given_sampler_flags(sub);
    for (const char* flag : {"--class", "--nrow"}) {
      if (sub->count(flag) > 0) cmd->image_flags.push_back(flag);
    }
    for (const char* flag : {"--prompt", "--tokens", "--temperature", "--top-k", "--top-p", "--no-kv-cache"}) {
      if (sub->count(flag) > 0) cmd->text_flags.push_back(flag);
    }
    run_sample(*cmd, out);
  });
}

}  // namespace gen
