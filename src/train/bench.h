// gen bench: times training steps of a config as gen train runs them (the batch, forward,
// backward and optimizer update; no logging, checkpoints, evaluations or samples) after a
// warm-up, and sets them against what a step costs (model FLOPs, counted from the ops' shapes
// by util/flop_counter) and what the hardware can do (on the CPU, a roof gen measures itself:
// a 1024^3 matrix product of the run's precision on the threads the run uses).
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "eval/report.h"
#include "util/op_profile.h"

namespace gen {

struct BenchOptions {
  int64_t steps = 20;  // timed steps
  int64_t warmup = 5;  // untimed steps before them (the first is the one whose FLOPs are counted)
  int64_t profile = 0;  // steps after the timed ones run under an OpProfile (0: none)
};

struct BenchResult {
  std::string config;         // the file
  std::string device;         // "cpu", "cuda:0"
  std::string threads;        // the thread choice's summary
  int64_t steps = 0, warmup = 0;
  double ms_per_step = 0;
  double items_per_s = 0;     // examples/s, or tokens/s for text
  bool text = false;
  double flops_per_step = 0;  // model FLOPs of one training step
  double roof_flops = 0;      // FLOP/s the hardware can do; 0 when gen cannot tell (CUDA for now)
  std::string roof;           // how the roof was found
  double peak_rss_bytes = 0;  // the process's peak resident memory (data included)
  int64_t profiled_steps = 0;
  double profiled_ms_per_step = 0;  // the same steps with the profiler on: its own cost shows here
  OpTimes profile;                  // totals over the profiled steps

  // Per profiled step: the self time of one phase's ops, and the time outside every op.
  double profiled_ms(OpPhase phase) const { return profile.self_ms(phase) / double(profiled_steps); }
  double profiled_outside_ms() const { return profiled_ms_per_step - profile.inside_ms / double(profiled_steps); }
  double achieved_flops() const { return ms_per_step > 0 ? flops_per_step / (ms_per_step / 1e3) : 0; }
  double mfu() const { return roof_flops > 0 ? achieved_flops() / roof_flops : 0; }
};

BenchResult bench(const Config& config, const BenchOptions& options);

// The CPU roof as measured once, and how.
struct Roof {
  double flops = 0;
  std::string text;
};
// The roof a run reports from its measurements before and after the timed steps: the better
// one (a shared machine sometimes runs one at a single core's rate), its text naming both when
// the other is more than 20% below it.
Roof kept_roof(const Roof& before, const Roof& after);

// One line for the terminal, and the same figures as a report (for --json).
std::string bench_line(const BenchResult& result);
// The profiled steps, per step: time by phase, outside ops, and the ops with the most self time.
std::string profile_table(const BenchResult& result);
EvalReport bench_report(const BenchResult& result);

// FLOP/s of the best of a few 1024^3 float32 matrix products on `threads` OpenBLAS threads
// (put back to `restore_blas` afterwards).
double measure_sgemm_roof(int64_t threads, int64_t restore_blas);
// The same for a bfloat16 1024^3 product (LibTorch runs it through oneDNN on the intra-op
// threads): the roof of runs in runtime.precision bf16 on the CPU.
double measure_bf16_gemm_roof(int64_t threads, int64_t restore_intra);

}  // namespace gen
