#include "train/bench.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "data/data_registry.h"
#include "data/data_source.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "train/lr_schedule.h"
#include "util/autocast.h"
#include "util/device.h"
#include "util/flop_counter.h"
#include "util/op_profile.h"
#include "util/stopwatch.h"
#include "util/threads.h"

namespace gen {

namespace {


// The peak resident memory since the last reset_peak_rss() (VmHWM; Linux resets it when "5"
// is written to clear_refs), or over the process's life where that is refused.
void reset_peak_rss() {
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

double peak_rss_bytes() {
  double kib = 0;
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "VmHWM: %lf kB", &kib) == 1) break;
    }
    std::fclose(f);
  }
  if (kib == 0) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    kib = double(usage.ru_maxrss);
  }
  return kib * 1024.0;
}

// Waits for the device to finish what was queued (a no-op on the CPU, where ops run in order).
void wait_for(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// 12.3 G, 456 M: a FLOP count or rate with an SI prefix.
std::string si(double v) {
  const char* prefixes[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  while (v >= 1000 && i < 5) v /= 1000, ++i;
  return fmt::format("{:.3g} {}", v, prefixes[i]);
}

}  // namespace

namespace {
// FLOP/s of the best of five 1024^3 products of `dtype` matrices (after one warm-up: pool
// start, page faults).
double best_gemm_flops(torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  const int64_t n = 1024;
  const torch::Tensor a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
  torch::Tensor c = torch::mm(a, b);
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const Stopwatch t0;
    torch::mm_out(c, a, b);
    best = std::min(best, t0.seconds());
  }
  return 2.0 * double(n) * double(n) * double(n) / best;
}
}  // namespace

double measure_sgemm_roof(int64_t threads, int64_t restore_blas) {
  set_blas_threads(threads);
  const double flops = best_gemm_flops(torch::kFloat);
  set_blas_threads(restore_blas);
  return flops;
}

double measure_bf16_gemm_roof(int64_t threads, int64_t restore_intra) {
  at::set_num_threads(int(threads));
  const double flops = best_gemm_flops(torch::kBFloat16);
  at::set_num_threads(int(restore_intra));
  return flops;
}

Roof kept_roof(const Roof& before, const Roof& after) {
  Roof kept = after.flops > before.flops ? after : before;
  if (std::min(before.flops, after.flops) < 0.8 * kept.flops) {
    kept.text += fmt::format("; the better of {}FLOP/s before the steps and {}FLOP/s after", si(before.flops),
                             si(after.flops));
  }
  return kept;
}

namespace {
// What the CPU's GEMM of the step's precision does, and how it was measured.
Roof measure_roof(Precision precision, const ThreadChoice& threads) {
  const int64_t width = std::max(threads.intra, threads.blas);
  if (precision != Precision::kBf16) {
    return {measure_sgemm_roof(width, threads.blas), fmt::format("sgemm 1024^3 on {} thread(s)", width)};
  }
  const double bf16 = measure_bf16_gemm_roof(width, threads.intra);
  // A CPU without bf16 instructions (AVX2 only) emulates the bf16 GEMM far below its float32
  // one: an MFU against that would exceed 100%. The float32 roof is the bound then.
  const double fp32 = measure_sgemm_roof(width, threads.blas);
  if (bf16 < fp32) {
    return {fp32, fmt::format("sgemm 1024^3 on {} thread(s); this CPU's bf16 GEMM runs {}FLOP/s, below it: "
                              "no native bf16",
                              width, si(bf16))};
  }
  return {bf16, fmt::format("bf16 gemm 1024^3 on {} thread(s)", width)};
}
}  // namespace

BenchResult bench(const Config& config, const BenchOptions& options) {
  reset_peak_rss();
  BenchResult r;
  r.config = config.source.file;
  r.steps = options.steps;
  r.warmup = std::max<int64_t>(options.warmup, 1);
  const ModelKind& kind = find_model_kind(config);
  const ThreadChoice threads = configure_threads(config.runtime.thread_request(), kind.workload(config));
  r.threads = threads.summary;
  const torch::Device device = choose_device(config.device);
  const Precision precision = resolve_precision(config.runtime.precision, config.runtime.tf32, device);
  r.device = device.str() + " " + enum_name(precision);
  configure_cuda_math(allows_tf32(precision, config.runtime.tf32), config.runtime.deterministic, device);
  torch::manual_seed(static_cast<uint64_t>(config.seed));

  auto data = open_data_source(config, device);
  const DataSpec spec = data->spec();
  auto model = build_model(config, spec, device);
  // The roof is measured before the timed steps and again after them, and the better kept: on
  // a shared host a 1024^3 GEMM of 50 ms sometimes runs at one core's rate, which alone would
  // read as an MFU above 100% (docs/RESULTS.md, "Two cores without a shared L3").
  const Roof roof_before = device.is_cuda() ? Roof{} : measure_roof(precision, threads);
  int64_t step = 0;
  auto train_one = [&] {
    model->begin_step(step, lr_at(config.optim, config.train.steps, step));
    const Batch batch = data->batch_at(step);
    model->train_step(batch);
    ++step;
  };
  {
    FlopCounter counter;  // the first warm-up step
    train_one();
    r.flops_per_step = counter.count().training();
  }
  while (step < r.warmup) train_one();
  wait_for(device);
  const Stopwatch t0;
  for (int64_t i = 0; i < options.steps; ++i) train_one();
  wait_for(device);
  const double seconds = t0.seconds();
  if (!device.is_cuda()) {
    const Roof roof = kept_roof(roof_before, measure_roof(precision, threads));
    r.roof_flops = roof.flops;
    r.roof = roof.text;
  }

  r.ms_per_step = seconds * 1e3 / double(options.steps);
  r.text = spec.is_text();
  const double items = double(config.data.batch_size) * (r.text ? double(spec.text.block_size) : 1.0);
  r.items_per_s = items * double(options.steps) / seconds;
  r.peak_rss_bytes = peak_rss_bytes();

  if (options.profile > 0) {  // after the timed steps, so the profiler's cost stays out of them
    OpProfile profile;
    const Stopwatch t1;
    for (int64_t i = 0; i < options.profile; ++i) train_one();
    wait_for(device);
    r.profiled_ms_per_step = t1.seconds() * 1e3 / double(options.profile);
    r.profiled_steps = options.profile;
    r.profile = profile.times();
  }
  return r;
}

std::string bench_line(const BenchResult& r) {
  std::string line = fmt::format("{} | {} | {:.2f} ms/step, {:.0f} {}/s | {}FLOP/step, {}FLOP/s", r.config, r.device,
                                 r.ms_per_step, r.items_per_s, r.text ? "tok" : "img", si(r.flops_per_step),
                                 si(r.achieved_flops()));
  if (r.roof_flops > 0) line += fmt::format(" | MFU {:.1f}% of {}FLOP/s ({})", 100 * r.mfu(), si(r.roof_flops), r.roof);
  return line + fmt::format(" | peak RSS {:.0f} MiB", r.peak_rss_bytes / (1 << 20));
}

std::string profile_table(const BenchResult& r) {
  if (r.profiled_steps == 0) return "";
  const double n = double(r.profiled_steps);
  const double step = r.profiled_ms_per_step;
  std::string out = fmt::format(
      "profile of {} more step(s): {:.2f} ms/step with the profiler on ({:.2f} off); forward {:.2f}, backward {:.2f}, "
      "no-grad {:.2f}, outside ops {:.2f} (autograd engine, data, gen's own code, the profiler)\n",
      r.profiled_steps, step, r.ms_per_step, r.profiled_ms(OpPhase::kForward), r.profiled_ms(OpPhase::kBackward),
      r.profiled_ms(OpPhase::kNoGrad), r.profiled_outside_ms());
  out += fmt::format("{:>13} {:>6} {:>10} {:>8}  {}\n", "self ms/step", "share", "calls/step", "phase", "op");
  // The ops down to 0.5% of the step, at most 40 rows; the rest in one line.
  size_t shown = 0;
  double rest_ms = 0;
  for (const OpTime& op : r.profile.ops) {
    const double ms = op.self_ms / n;
    if (shown < 40 && ms >= 0.005 * step) {
      out += fmt::format("{:>13.3f} {:>5.1f}% {:>10.4g} {:>8}  {}\n", ms, 100 * ms / step, double(op.calls) / n,
                         op_phase_name(op.phase), op.name);
      ++shown;
    } else {
      rest_ms += ms;
    }
  }
  if (shown < r.profile.ops.size()) {
    out += fmt::format("{:>13.3f} {:>5.1f}% {:>10} {:>8}  ({} more ops)\n", rest_ms, 100 * rest_ms / step, "", "",
                       r.profile.ops.size() - shown);
  }
  return out;
}

EvalReport bench_report(const BenchResult& r) {
  EvalReport report;
  report.info = {{"config", r.config},
                 {"device", r.device},
                 {"threads", r.threads},
                 {"steps", std::to_string(r.steps)},
                 {"warmup", std::to_string(r.warmup)},
                 {"flops", "matrix products, convolutions and attention of one step's forward pass, 3x where "
                           "gradients were on (forward + backward), 1x where not"}};
  if (r.roof_flops > 0) report.info.emplace_back("roof", r.roof);
  report.add("ms_per_step", r.ms_per_step, "milliseconds per training step (batch, forward, backward, update)");
  report.add(r.text ? "tokens_per_s" : "examples_per_s", r.items_per_s, "training throughput", Better::kHigher);
  report.add("flops_per_step", r.flops_per_step, "model FLOPs of one training step", Better::kNeither);
  report.add("achieved_tflops", r.achieved_flops() / 1e12, "model FLOPs per second, in TFLOP/s", Better::kHigher);
  if (r.roof_flops > 0) {
    report.add("roof_tflops", r.roof_flops / 1e12, "what the hardware does on a large sgemm, in TFLOP/s",
               Better::kNeither);
    report.add("mfu", r.mfu(), "model FLOPs utilisation: achieved / roof", Better::kHigher);
  }
  report.add("peak_rss_mib", r.peak_rss_bytes / (1 << 20), "peak resident memory of the process, MiB");
  if (r.profiled_steps > 0) {
    report.info.emplace_back("profiled_steps", std::to_string(r.profiled_steps));
    report.add("profiled_ms_per_step", r.profiled_ms_per_step, "ms per step of the steps run with the op profiler on");
    report.add("profile_forward_ms", r.profiled_ms(OpPhase::kForward), "self time of ops in the forward pass, ms/step");
    report.add("profile_backward_ms", r.profiled_ms(OpPhase::kBackward),
               "self time of ops in the backward pass, ms/step");
    report.add("profile_no_grad_ms", r.profiled_ms(OpPhase::kNoGrad),
               "self time of ops run without gradients (the update, EMA), ms/step");
    report.add("profile_outside_ms", r.profiled_outside_ms(),
               "time outside every op (autograd engine, data, gen's own code, the profiler), ms/step");
  }
  return report;
}

}  // namespace gen
