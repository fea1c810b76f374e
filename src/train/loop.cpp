// The training loop, top to bottom: set up the run folder, load data, build or restore the
// model, then per step: set lr -> step -> log -> maybe sample -> maybe checkpoint.
#include "train/loop.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "config/diff.h"
#include "data/data_source.h"
#include "io/image_grid.h"
#include "io/metrics_log.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/lr_schedule.h"
#include "util/device.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/logging.h"
#include "util/threads.h"

namespace gen {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string step_file(const std::string& dir, int64_t step, const char* ext) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/step_%07lld.%s", static_cast<long long>(step), ext);
  return dir + buf;
}

// Which checkpoint to continue from, or "" for a fresh run.
std::string resume_path(const Config& config, const TrainOptions& options) {
  const std::string ckpt_dir = config.run_dir() + "/checkpoints";
  if (options.resume.empty()) {
    if (!latest_checkpoint(ckpt_dir).empty()) {
      throw UsageError(config.run_dir() + " already holds checkpoints; continue it with --resume auto, or start another run with --set name=NEW_NAME");
    }
    return "";
  }
  if (options.resume != "auto") return options.resume;
  const std::string latest = latest_checkpoint(ckpt_dir);
  if (latest.empty()) spdlog::info("--resume auto: no checkpoint in {}, starting fresh", ckpt_dir);
  return latest;
}

void check_resume_config(const Config& saved, const Config& now, const std::string& path, bool force) {
  std::string refused;
  for (const auto& c : config_differences(saved, now)) {
    const bool ok = change_allowed_on_resume(c.key);
    spdlog::info("config change since {}: {}: {} -> {}{}", path, c.key, c.before, c.after,
                 ok ? "" : (force ? " (forced)" : " (not allowed)"));
    if (!ok) refused += (refused.empty() ? "" : ", ") + c.key;
  }
  if (!refused.empty() && !force) {
    throw ConfigError(path + ": cannot resume: changed keys alter the model or data: " + refused +
                      " (restore them, start a new run, or pass --force)");
  }
}

class Trainer {
 public:
  Trainer(const Config& config, const TrainOptions& options) : config_(config), options_(options) {}

  TrainResult run() {
    const std::string run_dir = config_.run_dir();
    ckpt_dir_ = run_dir + "/checkpoints";
    samples_dir_ = run_dir + "/samples";
    // Everything that can fail on bad input runs before the run folder exists.
    const std::string resume = resume_path(config_, options_);
    buffer_log_lines();
    const ModelKind& kind = find_model_kind(config_);
    spdlog::info("gen {} | run folder {} | model {}", GEN_VERSION, run_dir, kind.kind);
    spdlog::info(configure_threads(config_.runtime, kind.workload(config_)).summary);
    const torch::Device device = choose_device(config_.device);
    spdlog::info("device: {}", device.str());

    torch::manual_seed(static_cast<uint64_t>(config_.seed));
    auto t_load = Clock::now();
    data_ = open_data_source(config_, device);
    spec_ = data_->spec();
    spdlog::info("data: {} ({:.2f} s)", data_->describe(), seconds_since(t_load));

    model_ = build_model(config_, spec_, device);
    for (const auto& [name, count] : model_->parameter_counts()) {
      spdlog::info("{}: {} parameters", name, count);
    }

    int64_t step = 0;
    if (!resume.empty()) {
      Checkpoint ckpt = open_checkpoint(resume, device);
      check_resume_config(ckpt.config, config_, resume, options_.force);
      restore_checkpoint(ckpt, *model_);
      step = ckpt.step;
      spdlog::info("resumed from {} at step {}", resume, step);
    }
    make_dirs(ckpt_dir_);
    make_dirs(samples_dir_);
    log_to_file(run_dir + "/train.log");
    if (const int64_t n = remove_partial_checkpoints(ckpt_dir_)) {
      spdlog::info("removed {} unfinished checkpoint write(s) left by an interrupted run", n);
    }
    write_file_atomic(run_dir + "/config.yaml", config_to_yaml(config_, true));

    MetricsLog metrics(run_dir + "/metrics.jsonl", step);
    const int64_t steps = config_.train.steps;
    if (step >= steps) spdlog::info("already at step {} of {}: nothing to train", step, steps);

    TrainResult result;
    int64_t last_sample = -1, last_eval = -1, last_ckpt = resume.empty() ? -1 : step;
    std::vector<std::pair<std::string, torch::Tensor>> sums;  // running sums, on the device
    int64_t window_steps = 0;
    double paused = 0;  // seconds spent on samples and checkpoints inside the window
    auto window_start = Clock::now();
    double lr = lr_at(config_.optim, steps, step);

    while (step < steps) {
      if (interrupt_requested()) {
        result.interrupted = true;
        break;
      }
      if (options_.stop_at > 0 && step >= options_.stop_at) {
        result.stopped_early = true;
        break;
      }
      lr = lr_at(config_.optim, steps, step);
      model_->begin_step(step, lr);
      const Batch batch = data_->batch_at(step);
      const StepMetrics m = model_->train_step(batch);
      ++step;
      accumulate(sums, m);
      ++window_steps;

      if (step % config_.train.log_every == 0 || step == steps) {
        const double secs = std::max(seconds_since(window_start) - paused, 1e-9);
        log_step(metrics, step, steps, sums, window_steps, secs, lr);
        sums.clear();
        window_steps = 0;
        paused = 0;
        window_start = Clock::now();
      }
      const auto t_io = Clock::now();
      if (config_.train.eval_every > 0 && step % config_.train.eval_every == 0) {
        evaluate(metrics, step);
        last_eval = step;
      }
      if (config_.train.sample_every > 0 && step % config_.train.sample_every == 0) {
        write_samples(step);
        last_sample = step;
      }
      if (config_.train.ckpt_every > 0 && step % config_.train.ckpt_every == 0) {
        result.checkpoint = save(step);
        last_ckpt = step;
      }
      paused += seconds_since(t_io);
    }

    if (config_.train.eval_every > 0 && step != last_eval && step > 0 && !result.interrupted && !result.stopped_early) {
      evaluate(metrics, step);
    }
    if (step != last_sample && step > 0) write_samples(step);
    if (step != last_ckpt && step > 0) result.checkpoint = save(step);
    result.step = step;
    if (result.interrupted) {
      spdlog::warn("interrupted at step {}; checkpoint {} written. Continue with: gen train {} --resume auto",
                   step, result.checkpoint, config_.source.file);
    } else if (result.stopped_early) {
      spdlog::info("stopped at step {} of {} (--stop-at); continue with: gen train {} --resume auto", step, steps,
                   config_.source.file);
    } else {
      spdlog::info("done: {} steps; samples in {}, checkpoints in {}", step, samples_dir_, ckpt_dir_);
    }
    stop_file_logging();
    return result;
  }

 private:
  static void accumulate(std::vector<std::pair<std::string, torch::Tensor>>& sums, const StepMetrics& m) {
    if (sums.empty()) {
      for (const auto& [k, v] : m) sums.emplace_back(k, v.detach().to(torch::kDouble));
      return;
    }
    for (size_t i = 0; i < m.size() && i < sums.size(); ++i) sums[i].second.add_(m[i].second.detach());
  }

  void log_step(MetricsLog& metrics, int64_t step, int64_t steps,
                const std::vector<std::pair<std::string, torch::Tensor>>& sums, int64_t n,
                double secs, double lr) {
    MetricValues values;
    if (!sums.empty()) {
      std::vector<torch::Tensor> parts;
      for (const auto& kv : sums) parts.push_back(kv.second);
      const torch::Tensor means = torch::stack(parts).div(double(n)).to(torch::kCPU);  // one sync
      for (size_t i = 0; i < sums.size(); ++i) values.emplace_back(sums[i].first, means[int64_t(i)].item<double>());
    }
    const double steps_per_s = double(n) / secs;
    values.emplace_back("lr", lr);
    values.emplace_back("steps_per_s", steps_per_s);
    const bool text = !spec_.tokenizer.empty();
    const double items = steps_per_s * double(config_.data.batch_size) * (text ? double(spec_.block_size) : 1.0);
    values.emplace_back(text ? "tokens_per_s" : "images_per_s", items);
    metrics.write(step, values);

    std::string line;
    for (size_t i = 0; i < sums.size(); ++i) line += fmt::format(" {} {:.4f}", values[i].first, values[i].second);
    const double eta = double(steps - step) / steps_per_s;
    spdlog::info("step {}/{} |{} | lr {:.3g} | {:.2f} steps/s {:.0f} {}/s | eta {:.0f}m{:02.0f}s", step,
                 steps, line, lr, steps_per_s, items, text ? "tok" : "img",
                 std::floor(eta / 60), std::fmod(eta, 60.0));
  }

  // Mean of each metric of model->evaluate over the held-out batches of each split, weighted by
  // batch size, logged as train_<name> and val_<name>.
  void evaluate(MetricsLog& metrics, int64_t step) {
    const auto t0 = Clock::now();
    MetricValues values;
    std::string line;
    for (const std::string split : {"train", "val"}) {
      const int64_t batches = data_->eval_batch_count(split);
      std::vector<std::pair<std::string, torch::Tensor>> sums;
      int64_t rows = 0;
      for (int64_t i = 0; i < batches; ++i) {
        const Batch batch = data_->eval_batch(split, i);
        const int64_t b = batch.x.size(0);
        if (b == 0) continue;
        StepMetrics m = model_->evaluate(batch);
        if (m.empty()) return;  // this family has nothing to evaluate
        for (auto& kv : m) kv.second = kv.second.detach().to(torch::kDouble) * double(b);
        if (sums.empty()) {
          sums = std::move(m);
        } else {
          for (size_t j = 0; j < sums.size(); ++j) sums[j].second += m[j].second;
        }
        rows += b;
      }
      for (const auto& [name, sum] : sums) {
        const double mean = sum.item<double>() / double(rows);
        values.emplace_back(split + "_" + name, mean);
        line += fmt::format(" {}_{} {:.4f}", split, name, mean);
      }
    }
    if (values.empty()) return;
    metrics.write(step, values);
    spdlog::info("eval step {} |{} | {:.1f} s", step, line, seconds_since(t0));
  }

  void write_samples(int64_t step) {
    SampleRequest request;
    request.n = config_.train.n_samples;
    request.fixed_noise = true;
    const SampleOutput out = model_->sample(request);
    if (out.images.defined()) {
      const std::string path = step_file(samples_dir_, step, "png");
      GridLayout layout;
      layout.nrow = out.nrow;
      write_png(path, make_grid(out.images, layout));
      spdlog::info("samples: {}", path);
    }
    if (!out.text.empty()) {
      const std::string path = step_file(samples_dir_, step, "txt");
      write_file_atomic(path, out.text);
      spdlog::info("samples: {}", path);
    }
  }

  std::string save(int64_t step) {
    const std::string path = ckpt_dir_ + "/" + checkpoint_name(step);
    save_checkpoint(path, config_, spec_, step, *model_);
    replace_symlink(ckpt_dir_ + "/latest.pt", checkpoint_name(step));
    prune_checkpoints(ckpt_dir_, config_.train.keep_last);
    spdlog::info("checkpoint: {}", path);
    return path;
  }

  const Config& config_;
  TrainOptions options_;
  std::string ckpt_dir_, samples_dir_;
  std::unique_ptr<DataSource> data_;
  DataSpec spec_;
  std::unique_ptr<GenerativeModel> model_;
};

}  // namespace

TrainResult train(const Config& config, const TrainOptions& options) {
  return Trainer(config, options).run();
}

}  // namespace gen
