// The training loop, top to bottom: set up the run folder, load data, build or restore the
// model, then per step: set lr -> step -> log -> maybe sample -> maybe checkpoint.
#include "train/loop.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

#include "config/diff.h"
#include "data/data_source.h"
#include "eval/held_out.h"
#include "eval/quality.h"
#include "io/image_grid.h"
#include "io/metrics_log.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/lr_schedule.h"
#include "train/net_optimizer.h"
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

// Test hook for the non-finite guard: GEN_FAULT_NAN_STEPS=A-B poisons the image batches of
// steps A..B-1 with NaN, once per step (a transient fault: a rolled-back step is clean).
struct NanFault {
  int64_t from = 0, to = 0;
  std::set<int64_t> fired;

  NanFault() {
    const char* env = std::getenv("GEN_FAULT_NAN_STEPS");
    long long a = 0, b = 0;
    if (env && std::sscanf(env, "%lld-%lld", &a, &b) == 2) from = a, to = b;
  }
  void apply(int64_t step, Batch& batch) {
    if (step < from || step >= to || !batch.x.is_floating_point() || !fired.insert(step).second) return;
    batch.x = batch.x * std::nan("");
  }
};

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
    device_ = device;
    spdlog::info("device: {}", device.str());
    if (const std::string math = configure_cuda_math(config_.runtime, device); !math.empty()) spdlog::info(math);

    torch::manual_seed(static_cast<uint64_t>(config_.seed));
    auto t_load = Clock::now();
    data_ = open_data_source(config_, device);
    spec_ = data_->spec();
    spdlog::info("data: {} ({:.2f} s)", data_->describe(), seconds_since(t_load));

    model_ = build_model(config_, spec_, device);
    for (const auto& [name, count] : model_->parameter_counts()) {
      spdlog::info("{}: {} parameters", name, count);
    }
    if (config_.train.eval_every > 0) quality_ = std::make_unique<QualityEvaluator>(*model_, *data_, open_feature_net(device));

    int64_t step = 0;
    if (!resume.empty()) {
      Checkpoint ckpt = open_checkpoint(resume, device);
      check_resume_config(ckpt.config, config_, resume, options_.force);
      restore_checkpoint(ckpt, *model_);
      step = ckpt.step;
      lr_scale_ = ckpt.lr_scale;
      read_best();
      spdlog::info("resumed from {} at step {}{}", resume, step,
                   lr_scale_ != 1.0 ? fmt::format(" (lr scaled by {:.3g} after rollbacks)", lr_scale_) : "");
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
    int64_t window_steps = 0, bad_in_row = 0, bad_in_window = 0;
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
      lr = lr_at(config_.optim, steps, step) * lr_scale_;
      model_->begin_step(step, lr);
      Batch batch = data_->batch_at(step);
      fault_.apply(step, batch);
      const int64_t skipped_before = skipped_updates();
      const StepMetrics m = model_->train_step(batch);
      ++step;
      if (skipped_updates() == skipped_before) {
        bad_in_row = 0;
        accumulate(sums, m);
      } else {  // a NetOptimizer skipped an update: its gradient was not finite
        ++bad_in_row;
        ++bad_in_window;
        if (config_.guard.max_bad_steps > 0 && bad_in_row >= config_.guard.max_bad_steps) {
          step = roll_back(metrics, step, bad_in_row);
          bad_in_row = 0;
          continue;
        }
      }
      ++window_steps;

      if (step % config_.train.log_every == 0 || step == steps) {
        const double secs = std::max(seconds_since(window_start) - paused, 1e-9);
        log_step(metrics, step, steps, sums, window_steps - bad_in_window, secs, lr);
        if (bad_in_window > 0) {
          spdlog::warn("{} of the last {} steps had a non-finite loss or gradient and were skipped", bad_in_window, window_steps);
          metrics.write(step, {{"skipped_nonfinite", double(bad_in_window)}});
        }
        sums.clear();
        window_steps = 0;
        bad_in_window = 0;
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
        const std::string written = save(step, /*final=*/step == steps);
        if (!written.empty()) {
          result.checkpoint = written;
          last_ckpt = step;
        }
      }
      paused += seconds_since(t_io);
    }

    if (config_.train.eval_every > 0 && step != last_eval && step > 0 && !result.interrupted && !result.stopped_early) {
      evaluate(metrics, step);
    }
    if (step != last_sample && step > 0) write_samples(step);
    if (step != last_ckpt && step > 0) result.checkpoint = save(step, /*final=*/true);
    result.step = step;
    if (result.interrupted) {
      spdlog::warn("interrupted at step {}; checkpoint {} written. Continue with: {} --resume auto",
                   step, result.checkpoint, continue_command());
    } else if (result.stopped_early) {
      spdlog::info("stopped at step {} of {} (--stop-at); continue with: {} --resume auto", step, steps,
                   continue_command());
    } else {
      spdlog::info("done: {} steps; samples in {}, checkpoints in {}", step, samples_dir_, ckpt_dir_);
    }
    stop_file_logging();
    return result;
  }

 private:
  std::string continue_command() const {
    return options_.command.empty() ? "gen train " + config_.source.file : options_.command;
  }

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

  // The family's held-out metrics on both splits, plus its quality figures on the budget of
  // the eval section (FID/KID/IS when a feature network is there, the IWAE bound when asked).
  void evaluate(MetricsLog& metrics, int64_t step) {
    const auto t0 = Clock::now();
    MetricValues values = held_out_means(*data_, *model_, "train", config_.train.eval_batches);
    QualityBudget budget;
    budget.samples = config_.eval.samples;
    budget.iw_samples = config_.eval.iw_samples;
    budget.iw_examples = config_.eval.samples;
    budget.seed = static_cast<uint64_t>(config_.seed);
    budget.max_batches = config_.train.eval_batches;
    for (const Figure& f : quality_->run(budget).figures) values.emplace_back(f.name, f.value);
    if (values.empty()) return;
    metrics.write(step, values);
    std::string line;
    for (const auto& [name, value] : values) line += fmt::format(" {} {:.4g}", name, value);
    spdlog::info("eval step {} |{} | {:.1f} s", step, line, seconds_since(t0));
    if (!config_.train.keep_best.empty()) keep_if_best(values, step);
  }

  static bool higher_is_better(const std::string& metric) {
    return metric.rfind("is_", 0) == 0 || metric.find("acc") != std::string::npos || metric == "class_coverage";
  }

  // train.keep_best: checkpoints/best.pt holds the best evaluation so far; best.json says which
  // (and carries the value across a resume). Neither is touched by keep_last pruning.
  void keep_if_best(const MetricValues& values, int64_t step) {
    const std::string& key = config_.train.keep_best;
    auto it = std::find_if(values.begin(), values.end(), [&](const auto& kv) { return kv.first == key; });
    if (it == values.end()) {
      std::string names;
      for (const auto& kv : values) names += (names.empty() ? "" : ", ") + kv.first;
      spdlog::warn("train.keep_best: {} is not among this run's evaluation figures ({}); no best.pt kept", key, names);
      return;
    }
    const double v = it->second;
    if (!std::isfinite(v)) return;
    if (best_.has_value() && (higher_is_better(key) ? v <= *best_ : v >= *best_)) return;
    save_checkpoint(ckpt_dir_ + "/best.pt", config_, spec_, step, *model_, lr_scale_);
    write_file_atomic(ckpt_dir_ + "/best.json",
                      fmt::format("{{\"metric\": \"{}\", \"value\": {:.10g}, \"step\": {}}}\n", key, v, step));
    spdlog::info("best {} so far: {:.6g} at step {}: {}/best.pt", key, v, step, ckpt_dir_);
    best_ = v;
  }

  // The best value recorded by an earlier part of this run, if it tracked the same figure.
  void read_best() {
    const std::string path = ckpt_dir_ + "/best.json";
    if (config_.train.keep_best.empty() || !path_exists(path)) return;
    try {
      const YAML::Node n = YAML::LoadFile(path);  // JSON is YAML
      if (n["metric"].as<std::string>() == config_.train.keep_best) best_ = n["value"].as<double>();
    } catch (const YAML::Exception& e) {
      spdlog::warn("{}: unreadable ({}); the next evaluation starts a new best", path, e.what());
    }
  }

  // The feature network for image figures during training, or null (with the reason logged).
  std::unique_ptr<FeatureNet> open_feature_net(torch::Device device) const {
    if (!QualityEvaluator::draws_images(*model_, *data_)) return nullptr;
    const bool automatic = config_.eval.features.empty() || config_.eval.features == "auto";
    std::string path;
    try {
      path = find_feature_net(config_, "");
    } catch (const UsageError& e) {
      if (!automatic) throw;
      spdlog::info("image figures (FID/KID/IS) off during training: {}", e.what());
      return nullptr;
    }
    auto net = std::make_unique<FeatureNet>(path, device);
    spdlog::info("image figures during training: {} features from {} (step {}), {} samples", net->name(), path, net->step(),
                 config_.eval.samples);
    return net;
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

  // Writes a checkpoint; "" when the write failed and checkpoint.on_error is warn (never for the
  // last one of a run: without it there is nothing to continue from).
  std::string save(int64_t step, bool final) {
    const std::string path = ckpt_dir_ + "/" + checkpoint_name(step);
    try {
      save_checkpoint(path, config_, spec_, step, *model_, lr_scale_);
    } catch (const CheckpointError& e) {
      if (final || config_.checkpoint.on_error != "warn") throw;
      spdlog::error("{} (checkpoint.on_error: warn, training goes on)", e.what());
      return "";
    }
    replace_symlink(ckpt_dir_ + "/latest.pt", checkpoint_name(step));
    prune_checkpoints(ckpt_dir_, config_.train.keep_last);
    spdlog::info("checkpoint: {}", path);
    return path;
  }

  // guard.max_bad_steps non-finite steps in a row: back to the newest checkpoint with a smaller
  // learning rate. Returns the step to continue from; throws TrainingError when out of rollbacks.
  int64_t roll_back(MetricsLog& metrics, int64_t step, int64_t bad) {
    const std::string what = fmt::format("{} steps in a row with a non-finite loss or gradient (up to step {})", bad, step);
    if (rollbacks_ >= config_.guard.max_rollbacks) {
      throw TrainingError(what + " after " + std::to_string(rollbacks_) + " rollback(s) (guard.max_rollbacks " +
                          std::to_string(config_.guard.max_rollbacks) + "); the newest checkpoint is intact: lower optim.lr, set " +
                          "optim.grad_clip, then continue with --resume auto");
    }
    const std::string last = latest_checkpoint(ckpt_dir_);
    if (last.empty()) {
      throw TrainingError(what + " and no checkpoint to roll back to: lower optim.lr or set optim.grad_clip");
    }
    Checkpoint ckpt = open_checkpoint(last, device_);
    restore_checkpoint(ckpt, *model_);
    ++rollbacks_;
    lr_scale_ *= config_.guard.lr_factor;
    metrics.rewind(ckpt.step);
    metrics.write(ckpt.step, {{"rollback_from", double(step)}, {"bad_steps", double(bad)}, {"lr_scale", lr_scale_}});
    spdlog::warn("{}: rolled back to {} (step {}), learning rate now scaled by {:.3g} (rollback {} of {})", what, last,
                 ckpt.step, lr_scale_, rollbacks_, config_.guard.max_rollbacks);
    return ckpt.step;
  }

  const Config& config_;
  TrainOptions options_;
  std::string ckpt_dir_, samples_dir_;
  std::unique_ptr<DataSource> data_;
  DataSpec spec_;
  std::unique_ptr<GenerativeModel> model_;
  std::unique_ptr<QualityEvaluator> quality_;
  torch::Device device_ = torch::kCPU;
  double lr_scale_ = 1.0;  // guard rollbacks multiply it by guard.lr_factor
  int64_t rollbacks_ = 0;
  std::optional<double> best_;  // train.keep_best
  NanFault fault_;
};

}  // namespace

TrainResult train(const Config& config, const TrainOptions& options) {
  return Trainer(config, options).run();
}

}  // namespace gen
