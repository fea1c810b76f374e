#include "train/verify_resume.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "models/generative_model.h"
#include "models/model_checkpoint.h"
#include "models/registry.h"
#include "train/loop.h"
#include "util/device.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/threads.h"
#include "dist/local_launcher.h"

namespace gen {

namespace {

// Metric lines without throughput fields, which differ between any two runs.
std::vector<std::string> deterministic_lines(const std::string& path) {
  static const std::regex timing(",\"[a-z]+_per_s\":[^,}]*");
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(std::regex_replace(line, timing, ""));
  return lines;
}

SampleOutput sample_from(const std::string& ckpt_path) {
  Checkpoint ckpt = open_checkpoint(ckpt_path, torch::kCPU);
  auto model = build_model(ckpt.config, ckpt.data, torch::kCPU);
  restore_checkpoint(ckpt, *model);
  SampleRequest request;
  request.n = 8;
  request.text.tokens = 64;
  request.seed = 1234;
  return model->sample(request);
}

struct TempFolder {
  std::string path;
  TempFolder() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/gen_verify_resume_XXXXXX";
    if (!mkdtemp(tmpl.data())) throw IoError(tmpl + ": cannot create a temporary folder");
    path = tmpl;
  }
  ~TempFolder() {
    if (!remove_tree(path)) spdlog::warn("{}: could not remove the temporary folder", path);
  }
};

// The straight run against the stopped-and-resumed one, both under `dir`.
ResumeCheck compare_runs(const std::string& dir) {
  ResumeCheck check;
  const auto a = deterministic_lines(dir + "/straight/metrics.jsonl");
  const auto b = deterministic_lines(dir + "/resumed/metrics.jsonl");
  check.steps_compared = static_cast<int64_t>(a.size());
  check.losses_equal = a == b;
  for (size_t i = 0; i < std::max(a.size(), b.size()) && check.first_difference.empty(); ++i) {
    const std::string x = i < a.size() ? a[i] : "(missing)", y = i < b.size() ? b[i] : "(missing)";
    if (x != y) check.first_difference = x + " vs " + y;
  }
  const SampleOutput sa = sample_from(dir + "/straight/checkpoints/latest.pt");
  const SampleOutput sb = sample_from(dir + "/resumed/checkpoints/latest.pt");
  check.samples_equal = sa.text == sb.text && sa.images.defined() == sb.images.defined() &&
                        (!sa.images.defined() || torch::equal(sa.images, sb.images));
  return check;
}

}  // namespace

ResumeCheck verify_resume(const Config& base, int64_t steps) {
  if (steps < 2) throw UsageError("--steps must be at least 2 (it is split in two halves)");
  TempFolder tmp;
  Config c = base;
  c.out_dir = tmp.path;
  c.train.steps = steps;
  c.train.log_every = 1;
  c.train.ckpt_every = 0;
  c.train.sample_every = 0;
  c.train.eval_every = 0;  // evaluation reads no training state; an extra one at the stop would only add a line
  if (!c.runtime.deterministic && choose_device(c.device).is_cuda()) {
    // Some CUDA kernels (cuDNN's convolution gradients) add in a varying order: without this the
    // two runs would differ whether or not resuming restored everything.
    c.runtime.deterministic = true;
    spdlog::info("verify-resume: runtime.deterministic on, so that CUDA kernels repeat");
  }

  if (!c.runtime.threads && !c.runtime.blas_threads) {
    // Auto threads follow the machine's load, which may change between the two runs: both
    // take what auto picks now (thread counts change the last bits of CPU results).
    const ThreadChoice now = configure_threads(c.runtime.thread_request(), find_model_kind(c).workload(c));
    c.runtime.threads = now.intra;
    if (now.blas > 0) c.runtime.blas_threads = now.blas;
  }
  spdlog::info("verify-resume: {} steps straight", steps);
  c.name = "straight";
  train(c, TrainOptions{});

  spdlog::info("verify-resume: stop at step {}, then resume to {}", steps / 2, steps);
  c.name = "resumed";
  TrainOptions first_half;
  first_half.stop_at = steps / 2;  // same config, so the same lr schedule
  train(c, first_half);
  TrainOptions resume;
  resume.resume = "auto";
  train(c, resume);

  return compare_runs(tmp.path);
}

ResumeCheck verify_resume_ranks(const Config& config, const std::string& file, const std::vector<std::string>& overrides,
                                int64_t steps, int64_t nproc) {
  if (steps < 2) throw UsageError("--steps must be at least 2 (it is split in two halves)");
  TempFolder tmp;
  std::vector<std::string> base{"train", file};
  auto set = [&](const std::string& key_value) { base.insert(base.end(), {"--set", key_value}); };
  for (const auto& o : overrides) set(o);
  set("out_dir=" + tmp.path);
  set("train.steps=" + std::to_string(steps));
  set("train.log_every=1");
  set("train.ckpt_every=0");
  set("train.sample_every=0");
  set("train.eval_every=0");
  if (!config.runtime.threads && !config.runtime.blas_threads) {
    // Auto threads follow the load, which the ranks themselves change: fixed for every run.
    const int64_t per_rank = std::max<int64_t>(1, available_cpus() / nproc);
    set("runtime.threads=" + std::to_string(per_rank));
    set("runtime.blas_threads=" + std::to_string(per_rank));
  }
  auto run = [&](const std::string& name, const std::vector<std::string>& extra) {
    LocalLaunch launch;
    launch.nproc = nproc;
    launch.args = base;
    launch.args.insert(launch.args.end(), {"--set", "name=" + name});
    launch.args.insert(launch.args.end(), extra.begin(), extra.end());
    if (const int code = run_local_ranks(launch); code != 0) {
      throw TrainingError("verify-resume: the " + name + " run on " + std::to_string(nproc) + " ranks failed (exit " +
                          std::to_string(code) + ")");
    }
  };
  spdlog::info("verify-resume: {} steps straight on {} ranks", steps, nproc);
  run("straight", {});
  spdlog::info("verify-resume: stop at step {}, then resume to {}, on {} ranks", steps / 2, steps, nproc);
  run("resumed", {"--stop-at", std::to_string(steps / 2)});
  run("resumed", {"--resume", "auto"});
  return compare_runs(tmp.path);
}

}  // namespace gen
