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

  ResumeCheck check;
  const auto a = deterministic_lines(tmp.path + "/straight/metrics.jsonl");
  const auto b = deterministic_lines(tmp.path + "/resumed/metrics.jsonl");
  check.steps_compared = static_cast<int64_t>(a.size());
  check.losses_equal = a == b;
  for (size_t i = 0; i < std::max(a.size(), b.size()) && check.first_difference.empty(); ++i) {
    const std::string x = i < a.size() ? a[i] : "(missing)", y = i < b.size() ? b[i] : "(missing)";
    if (x != y) check.first_difference = x + " vs " + y;
  }
  const SampleOutput sa = sample_from(tmp.path + "/straight/checkpoints/latest.pt");
  const SampleOutput sb = sample_from(tmp.path + "/resumed/checkpoints/latest.pt");
  check.samples_equal = sa.text == sb.text && sa.images.defined() == sb.images.defined() &&
                        (!sa.images.defined() || torch::equal(sa.images, sb.images));
  return check;
}

}  // namespace gen
