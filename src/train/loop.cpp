// The training loop. Trainer::run reads top to bottom: start (run folder, data, model, resume),
// then per step: lr -> batch -> train_step -> guard -> end-of-step outputs (log, checkpoint,
// then evaluation and samples, whose failure never costs a checkpoint), then the last outputs.
#include "train/loop.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <thread>

#include "data/data_registry.h"
#include "data/data_source.h"
#include "dist/launch_env.h"
#include "dist/stream_check.h"
#include "dist/stop_vote.h"
#include "dist/world.h"
#include "eval/held_out.h"
#include "eval/quality.h"
#include "io/curve_plot.h"
#include "io/image_grid.h"
#include "models/generative_model.h"
#include "models/model_checkpoint.h"
#include "models/registry.h"
#include "optim/net_optimizer.h"
#include "train/best_checkpoint.h"
#include "train/guard.h"
#include "train/lr_schedule.h"
#include "train/metric_window.h"
#include "train/resume_checks.h"
#include "train/run_log.h"
#include "train/run_folder.h"
#include "util/autocast.h"
#include "util/allocator.h"
#include "util/device.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/logging.h"
#include "util/progress_line.h"
#include "util/rng_scope.h"
#include "util/stopwatch.h"
#include "util/threads.h"

namespace gen {

namespace {


// Test hooks (environment variables, read once):
// GEN_FAULT_NAN_STEPS=A-B poisons the image batches of steps A..B-1 with NaN, once per step (a
// transient fault for the non-finite guard: a rolled-back step is clean).
// GEN_FAULT_STARTUP_SIGNAL=N raises signal N during start-up, after the data and model are built.
// GEN_FAULT_CRASH=R:S:FILE makes rank R die (exit 9, no cleanup) before step S, once: FILE,
// created first, marks that it did (a restarted job then runs through).
// GEN_FAULT_HANG=R:S makes rank R stop answering before step S (until a signal ends it).
// GEN_FAULT_SIGNAL=R:S:N makes rank R raise signal N before step S (Ctrl-C on one rank alone).
// GEN_FAULT_DRAW=R:S makes rank R draw one random number of its own before step S.
struct FaultHooks {
  int64_t from = 0, to = 0;
  std::set<int64_t> fired;
  int startup_signal = 0;
  long long crash_rank = -1, crash_step = -1, hang_rank = -1, hang_step = -1;
  long long signal_rank = -1, signal_step = -1, signal_number = 0, draw_rank = -1, draw_step = -1;
  std::string crash_marker;

  FaultHooks() {
    const char* env = std::getenv("GEN_FAULT_NAN_STEPS");
    long long a = 0, b = 0;
    if (env && std::sscanf(env, "%lld-%lld", &a, &b) == 2) from = a, to = b;
    if (const char* sig = std::getenv("GEN_FAULT_STARTUP_SIGNAL")) startup_signal = std::atoi(sig);
    if (const char* h = std::getenv("GEN_FAULT_HANG"); h && std::sscanf(h, "%lld:%lld", &a, &b) == 2) {
      hang_rank = a, hang_step = b;
    }
    if (const char* d = std::getenv("GEN_FAULT_DRAW")) std::sscanf(d, "%lld:%lld", &draw_rank, &draw_step);
    if (const char* g = std::getenv("GEN_FAULT_SIGNAL")) {
      std::sscanf(g, "%lld:%lld:%lld", &signal_rank, &signal_step, &signal_number);
    }
    char marker[4096] = {0};
    if (const char* c = std::getenv("GEN_FAULT_CRASH"); c && std::sscanf(c, "%lld:%lld:%4095s", &a, &b, marker) == 3) {
      crash_rank = a, crash_step = b, crash_marker = marker;
    }
  }
  void hang(int64_t step, int64_t rank) const {
    if (step != hang_step || rank != hang_rank) return;
    while (!interrupt_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::_Exit(static_cast<int>(interrupt_exit_code()));
  }
  void draw(int64_t step, int64_t rank) const {
    if (step == draw_step && rank == draw_rank) (void)torch::rand({1});
  }
  void signal(int64_t step, int64_t rank) const {
    if (step == signal_step && rank == signal_rank) std::raise(int(signal_number));
  }
  void crash(int64_t step, int64_t rank) const {
    if (step != crash_step || rank != crash_rank || path_exists(crash_marker)) return;
    write_file_atomic(crash_marker, "crashed\n");
    std::_Exit(9);
  }
  void poison(int64_t step, Batch& batch) {
    if (step < from || step >= to || !batch.x.is_floating_point() || !fired.insert(step).second) return;
    batch.x = batch.x * std::nan("");
  }
  void during_startup() const {
    if (startup_signal > 0) std::raise(startup_signal);
  }
};

}  // namespace

ExitCode TrainResult::exit_code() const {
  if (interrupted) return interrupt_exit_code();
  return failed_outputs > 0 ? ExitCode::kSideOutput : ExitCode::kOk;
}

namespace {

class Trainer {
 public:
  Trainer(const Config& config, const TrainOptions& options)
      : config_(config), options_(options), folder_(config), steps_(config.train.steps) {}

  TrainResult run() {
    int64_t step = start();
    while (step < steps_) {
      if (stop_requested(step)) break;
      fault_.crash(step, world().rank());
      fault_.hang(step, world().rank());
      fault_.signal(step, world().rank());
      fault_.draw(step, world().rank());
      world().note_progress(step);
      const double lr = lr_at(config_.optim, steps_, step) * guard_->lr_scale();
      model_->begin_step(step, lr);
      Batch batch = rank_slice(data_->batch_at(step));
      fault_.poison(step, batch);
      const StepResult result = model_->train_step(batch);
      ++step;
      guard_->record(result.skipped);
      window_.add(result);
      window_.count_step();
      if (outputs_due(step) && guard_->read()) {  // read only where the loop stops anyway
        step = guard_->roll_back(step, folder_.latest_checkpoint(), *model_, log_.get(), device_);
        continue;
      }
      end_of_step(step, lr);
      progress_->update(step);
    }
    return finish(step);
  }

 private:
  // Everything before the first step; returns the step to start from. The run lock comes first;
  // what can fail on bad input (the resume checks, data, the model) runs before anything is
  // written into the run folder (a folder this run created is removed again on such a failure).
  int64_t start() {
    const bool progress_line = ProgressLine::wanted();  // GEN_PROGRESS checked before anything is written
    device_ = choose_device(config_.device);
    const LaunchEnv launch = read_launch_env();
    if (launch.joins_c10d() && device_.is_cuda() && config_.device.rfind("cuda:", 0) != 0) {
      const bool nccl = uses_nccl(config_.runtime.dist_backend, device_);
      device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(rank_gpu(
                                                launch.local_rank, int64_t(torch::cuda::device_count()), nccl)));
    }
    join_world(launch, config_.runtime.dist_backend, std::chrono::seconds(config_.runtime.dist_timeout), device_,
               config_.runtime.dist_local_sums);
    main_ = world().is_main();
    if (!main_) spdlog::set_level(spdlog::level::warn);  // rank 0 speaks for the job
    if (main_) folder_.lock();
    const std::string resume = folder_.resume_path(options_.resume);
    if (main_) buffer_log_lines();
    const ModelKind& kind = find_model_kind(config_);
    spdlog::info("gen {} | run folder {} | model {}", GEN_VERSION, folder_.dir(), kind.kind);
    cpu_sharing_ = launch.joins_c10d() ? launch.local_world_size : 1;
    spdlog::info(configure_threads(config_.runtime.thread_request(), kind.workload(config_), cpu_sharing_).summary);
    spdlog::info(configure_malloc());
    spdlog::info("device: {}", device_.str());
    const Precision precision = resolve_precision(config_.runtime.precision, config_.runtime.tf32, device_);
    spdlog::info("precision: {} (runtime.precision {})", describe_precision(precision, device_),
                 enum_name(config_.runtime.precision));
    const std::string math = configure_cuda_math(allows_tf32(precision, config_.runtime.tf32),
                                                 config_.runtime.deterministic, device_);
    if (!math.empty()) spdlog::info(math);
    spdlog::info("optimizer: {}, {} step (optim.kernel {})", enum_name(config_.optim.kind),
                 uses_fused_adam(config_.optim.kernel, device_) ? "fused" : "foreach",
                 enum_name(config_.optim.kernel));

    torch::manual_seed(static_cast<uint64_t>(config_.seed));
    const Stopwatch t_load;
    data_ = open_data_source(config_, device_);
    spec_ = data_->spec();
    spdlog::info("data: {} ({:.2f} s)", data_->describe(), t_load.seconds());
    model_ = build_model(config_, spec_, device_);
    if (model_->draws_images() && !grid_can_draw(spec_.shape.channels)) {
      throw DataError(fmt::format("{}: images with {} channels cannot be drawn as sample grids (1 or 3 can)",
                                  data_->describe(), spec_.shape.channels));
    }
    for (const auto& [name, count] : model_->parameter_counts()) spdlog::info("{}: {} parameters", name, count);
    check_data_parallel(kind);
    if (config_.train.eval_every > 0) {
      quality_ = std::make_unique<QualityEvaluator>(*model_, *data_, open_feature_net());
    }

    int64_t step = 0;
    double lr_scale = 1.0;
    if (!resume.empty()) {
      Checkpoint ckpt = open_checkpoint_resolved(resume, device_);
      check_resume_config(ckpt.config, config_, resume, options_.force);
      check_resume_data(ckpt.data, spec_, resume);
      restore_checkpoint(ckpt, *model_);
      keep_thread_counts(ckpt.threads, kind);
      step = ckpt.step;
      lr_scale = ckpt.lr_scale;
      last_ckpt_ = step;
      spdlog::info("resumed from {} at step {}{}", resume, step,
                   lr_scale != 1.0 ? fmt::format(" (lr scaled by {:.3g} after rollbacks)", lr_scale) : "");
    }
    guard_ = std::make_unique<Guard>(config_.guard, lr_scale);
    fault_.during_startup();
    if (interrupt_requested()) {
      throw InterruptedError(std::string(interrupt_name()) + " during start-up: nothing was written",
                             interrupt_exit_code());
    }
    if (main_) {
      folder_.open(resume.empty() ? -1 : step);
      best_ = std::make_unique<BestCheckpoint>(config_.train.keep_best, folder_.checkpoints());
      log_ = std::make_unique<RunLog>(config_, folder_.dir(), folder_.metrics_file(), resume.empty() ? -1 : step);
    }
    if (step >= steps_) spdlog::info("already at step {} of {}: nothing to train", step, steps_);
    progress_ = std::make_unique<ProgressLine>(step, steps_, main_ && progress_line);
    window_.restart();
    return step;
  }

  // Data-parallel: a signal reaches one rank or all of them, but every rank must leave the
  // loop at the same step (the others would wait in the next all-reduce): the ranks agree.
  bool interrupted_anywhere() const {
    if (world().size() == 1) return interrupt_requested();
    std::optional<int> signal = take_stop_vote();  // carried by the last step's gradients
    if (!signal) {
      float vote[kStopVoteSize];
      write_stop_vote(vote);
      const torch::Tensor sums = torch::from_blob(vote, {kStopVoteSize}, torch::kFloat).clone();
      world().sum(sums);
      signal = agreed_stop_signal(sums.data_ptr<float>());
    }
    if (*signal == 0) return false;
    adopt_interrupt(*signal);  // every rank exits with the job's interrupted code
    return true;
  }

  // This rank's rows of the global batch: data.batch_size stays the global batch, and each
  // rank trains on the rows a single process would have in that place (per micro-batch).
  Batch rank_slice(Batch batch) const {
    return world().size() == 1 ? batch : batch.slice(world().rank(), world().size(), model_->batch_chunks());
  }

  void check_data_parallel(const ModelKind& kind) const {
    const int64_t n = world().size();
    if (n == 1) return;
    if (config_.data.batch_size % (n * model_->batch_chunks()) != 0) {
      throw ConfigError(fmt::format("data.batch_size {} (the global batch) must split into {} ranks x {} "
                                    "chunks (train.accumulate, or a GAN's n_critic)",
                                    config_.data.batch_size, n, model_->batch_chunks()));
    }
    if (model_->rank_dependent_draws()) {
      throw ConfigError(fmt::format("model.kind {}: data-parallel training of this config is not supported yet: its "
                                    "steps draw random numbers (noise, dropout or augmentation) per rank, so {} ranks "
                                    "would not train what one process trains",
                                    kind.kind, n));
    }
  }

  // With runtime.threads auto a resumed run takes the thread counts it started with (the
  // checkpoint records them), whatever the load now: they change the last bits of CPU results.
  // A data-parallel rank not more than its share of the machine's CPUs, though (a job resumed
  // on more ranks): oversubscribed OpenMP threads cost far more than the last bits are worth.
  void keep_thread_counts(const ThreadCounts& saved, const ModelKind& kind) {
    if (config_.runtime.threads || config_.runtime.blas_threads || saved.intra == 0) return;
    const ThreadCounts now = current_threads();
    if (now.intra == saved.intra && now.blas == saved.blas) return;
    const int64_t share = cpu_share(available_cpus(), cpu_sharing_);
    if (cpu_sharing_ > 1 && (saved.intra > share || saved.blas > share)) {
      spdlog::info("threads: this run started with {} OpenMP, {} OpenBLAS, more than the {} CPU(s) of this rank's "
                   "share: keeping the counts chosen now (the last bits of results may differ)",
                   saved.intra, saved.blas, share);
      return;
    }
    ThreadRequest same;
    same.threads = saved.intra;
    if (saved.blas > 0) same.blas_threads = saved.blas;
    configure_threads(same, kind.workload(config_));
    spdlog::info("threads: {} OpenMP, {} OpenBLAS, as this run started (auto keeps a resumed run bit for bit; "
                 "set runtime.threads to choose)",
                 saved.intra, saved.blas);
  }

  // Ctrl-C / SIGTERM, or --stop-at reached: the loop ends, and finish() writes the checkpoint.
  bool stop_requested(int64_t step) {
    if (interrupted_anywhere()) return result_.interrupted = true;
    if (options_.stop_at > 0 && step >= options_.stop_at) return result_.stopped_early = true;
    return false;
  }

  // Whether `step` ends with a log line, a checkpoint or the run: the steps that read the
  // guard's counts back (a checkpoint is never written after a bad run the guard has not seen).
  bool outputs_due(int64_t step) const {
    const auto every = [&](int64_t n) { return n > 0 && step % n == 0; };
    return step == steps_ || every(config_.train.log_every) || every(config_.train.ckpt_every) ||
           (options_.stop_at > 0 && step >= options_.stop_at);
  }

  // The outputs due after `step`: log line, checkpoint, then the side outputs (evaluation,
  // sample grid), whose failure never costs the checkpoint.
  void end_of_step(int64_t step, double lr) {
    if (step % config_.train.log_every == 0 || step == steps_) {
      log_window(step, lr);
      check_random_streams_agree(step, device_);  // before this step's checkpoint
    }
    if (!main_) return;  // rank 0 owns the run folder
    const Stopwatch t_io;
    if (config_.train.ckpt_every > 0 && step % config_.train.ckpt_every == 0) save(step, /*final=*/step == steps_);
    if (config_.train.eval_every > 0 && step % config_.train.eval_every == 0) evaluate(step);
    if (config_.train.sample_every > 0 && step % config_.train.sample_every == 0) write_samples(step);
    window_.exclude(t_io.seconds());
  }

  // Runs `output` (an evaluation or a sample grid of `step`) without moving the random stream
  // (the checkpoint of this step, written before, resumes as the run goes on); a failure is
  // logged and counted (the run exits 8 at the end), and training goes on.
  template <class Output>
  void side_output(const char* what, int64_t step, Output output) {
    RandomStateScope keep;
    try {
      output();
    } catch (const std::exception& e) {
      ++result_.failed_outputs;
      spdlog::error("{} of step {} failed: {} (training goes on; the run will exit {})", what, step, e.what(),
                    static_cast<int>(ExitCode::kSideOutput));
    }
  }

  // The last outputs a run owes, checkpoint first, then the closing line.
  TrainResult finish(int64_t step) {
    const bool early = result_.interrupted || result_.stopped_early;
    result_.step = step;
    progress_->finish();
    if (!main_) return result_;  // rank 0 writes the last outputs
    if (step != last_ckpt_ && step > 0) save(step, /*final=*/true);
    if (config_.train.eval_every > 0 && step != last_eval_ && step > 0 && !early) evaluate(step);
    if (step != last_sample_ && step > 0) write_samples(step);
    if (result_.failed_outputs > 0) {
      spdlog::error("{} side output(s) failed (see above); every checkpoint was written", result_.failed_outputs);
    }
    if (result_.interrupted && result_.checkpoint.empty()) {
      spdlog::warn("{} before the first step: no checkpoint written", interrupt_name());
    } else if (result_.interrupted) {
      spdlog::warn("interrupted at step {}; checkpoint {} written. Continue with: {} --resume auto", step,
                   result_.checkpoint, continue_command());
    } else if (result_.stopped_early) {
      spdlog::info("stopped at step {} of {} (--stop-at); continue with: {} --resume auto", step, steps_,
                   continue_command());
    } else {
      spdlog::info("done: {} steps; samples in {}, checkpoints in {}", step, folder_.samples(), folder_.checkpoints());
    }
    return result_;
  }

  std::string continue_command() const {
    return options_.command.empty() ? "gen train " + config_.source.file : options_.command;
  }

  void log_window(int64_t step, double lr) {
    const MetricWindow::Summary w = window_.close();  // a collective: every rank closes it
    if (!main_) {
      guard_->take_skipped();
      return;
    }
    MetricValues values = w.means;
    values.push_back({"lr", lr});
    values.push_back({"steps_per_s", w.steps_per_s});
    const bool text = spec_.is_text();
    const double items = w.steps_per_s * double(config_.data.batch_size) * (text ? double(spec_.text.block_size) : 1.0);
    values.push_back({text ? "tokens_per_s" : "images_per_s", items});
    log_->figures(step, values);

    std::string line;
    for (const MetricValue& m : w.means) line += fmt::format(" {} {:.4f}", m.name, m.value);
    const double eta = double(steps_ - step) / w.run_steps_per_s;
    spdlog::info("step {}/{} |{} | lr {:.3g} | {:.2f} steps/s {:.0f} {}/s | eta {}", step, steps_, line, lr,
                 w.steps_per_s, items, text ? "tok" : "img", duration_text(eta));
    if (const int64_t skipped = guard_->take_skipped()) {
      spdlog::warn("{} of the last {} steps had a non-finite loss or gradient and were skipped", skipped, w.steps);
      log_->figures(step, {{"skipped_nonfinite", double(skipped)}});
    }
  }

  // The family's held-out metrics on both splits, plus its quality figures on the budget of
  // the eval section (FID/KID/IS when a feature network is there, the IWAE bound when asked).
  void evaluate(int64_t step) {
    last_eval_ = step;
    side_output("evaluation", step, [&] { evaluate_now(step); });
  }

  void evaluate_now(int64_t step) {
    const Stopwatch t0;
    MetricValues values = held_out_means(*data_, *model_, EvalSplit::kTrain, config_.train.eval_batches);
    QualityBudget budget;
    budget.samples = config_.eval.samples;
    budget.iw_samples = config_.eval.iw_samples;
    budget.iw_examples = config_.eval.samples;
    budget.seed = static_cast<uint64_t>(config_.seed);
    budget.max_batches = config_.train.eval_batches;
    for (const Figure& f : quality_->run(budget).figures) values.push_back({f.name, f.value, f.better});
    if (values.empty()) return;
    log_->figures(step, values);
    std::string line;
    for (const MetricValue& v : values) line += fmt::format(" {} {:.4g}", v.name, v.value);
    spdlog::info("eval step {} |{} | {:.1f} s", step, line, t0.seconds());
    best_->offer(values, step, [&](const std::string& path) {
      save_checkpoint(path, config_, spec_, step, *model_, guard_->lr_scale());
    });
  }

  // The feature network for image figures during training, or null (with the reason logged).
  std::unique_ptr<FeatureNet> open_feature_net() const {
    if (!model_->draws_images()) return nullptr;
    const bool automatic = config_.eval.features.empty() || config_.eval.features == "auto";
    std::string path;
    try {
      path = find_feature_net(config_, "");
    } catch (const UsageError& e) {
      if (!automatic) throw;
      spdlog::info("image figures (FID/KID/IS) off during training: {}", e.what());
      return nullptr;
    }
    auto net = std::make_unique<FeatureNet>(path, device_);
    if (net->channels() != spec_.shape.channels) {  // found now, not at the first evaluation
      const std::string why = fmt::format("{}: the feature network takes {}-channel images, the data has {}", path,
                                          net->channels(), spec_.shape.channels);
      if (!automatic) throw UsageError(why + " (eval.features)");
      spdlog::info("image figures (FID/KID/IS) off during training: {}", why);
      return nullptr;
    }
    spdlog::info("image figures during training: {} features from {} (step {}), {} samples", net->name(), path,
                 net->step(), config_.eval.samples);
    return net;
  }

  void write_samples(int64_t step) {
    last_sample_ = step;
    // Two side outputs: curves that cannot be drawn do not cost the grid, nor the other way round.
    side_output("curves.png", step, [&] {
      write_png(folder_.dir() + "/curves.png",
                draw_panels(curve_panels({{config_.name, read_curves(folder_.metrics_file())}})));
    });
    side_output("sample grid", step, [&] { write_samples_now(step); });
  }

  void write_samples_now(int64_t step) {
    if (model_->sample_modes().empty()) return;  // the family draws nothing
    SampleRequest request;
    request.n = config_.train.n_samples;
    request.fixed_noise = true;
    const SampleOutput out = model_->sample(request);
    if (out.images.defined()) {
      const std::string path = folder_.sample_file(step, "png");
      GridLayout layout;
      layout.nrow = out.nrow;
      layout.row_labels = out.row_labels;
      const cv::Mat grid = make_grid(out.images, layout);
      write_png(path, grid);
      log_->image(step, "samples", grid);
      spdlog::info("samples: {}", path);
    }
    if (!out.text.empty()) {
      const std::string path = folder_.sample_file(step, "txt");
      write_file_atomic(path, out.text);
      log_->text(step, "samples", out.text);
      spdlog::info("samples: {}", path);
    }
  }

  // A checkpoint of `step`; a failed write stops the run unless checkpoint.on_error is warn
  // (never for the last one of a run: without it there is nothing to continue from).
  void save(int64_t step, bool final) {
    try {
      result_.checkpoint = folder_.save_checkpoint(step, spec_, *model_, guard_->lr_scale());
      last_ckpt_ = step;
      spdlog::info("checkpoint: {}", result_.checkpoint);
    } catch (const CheckpointError& e) {
      if (final || config_.checkpoint.on_error == OnCheckpointError::kStop) throw;
      spdlog::error("{} (checkpoint.on_error: warn, training goes on)", e.what());
    }
  }

  const Config& config_;
  const TrainOptions options_;
  bool main_ = true;  // rank 0 of a data-parallel job, or the only process
  int64_t cpu_sharing_ = 1;  // ranks of this job sharing this machine's CPUs (auto threads divide them)
  RunFolder folder_;
  const int64_t steps_;
  torch::Device device_ = torch::kCPU;
  std::unique_ptr<DataSource> data_;
  DataSpec spec_;
  std::unique_ptr<GenerativeModel> model_;
  std::unique_ptr<QualityEvaluator> quality_;
  std::unique_ptr<Guard> guard_;
  std::unique_ptr<BestCheckpoint> best_;
  std::unique_ptr<RunLog> log_;  // metrics.jsonl and TensorBoard events, rank 0 only
  MetricWindow window_;
  std::unique_ptr<ProgressLine> progress_;  // the live line on a terminal (rank 0)
  FaultHooks fault_;
  TrainResult result_;
  int64_t last_sample_ = -1, last_eval_ = -1, last_ckpt_ = -1;
};

}  // namespace

TrainResult train(const Config& config, const TrainOptions& options) { return Trainer(config, options).run(); }

}  // namespace gen
