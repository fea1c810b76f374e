// The figures of the steps between two log lines: each metric summed by name on the device
// (a metric only some steps report, like lazy R1, is averaged over those steps; a step whose
// update was skipped for a non-finite gradient does not count, without reading its flag), read back to
// the host once per log line; throughput of the window, and an ETA from the rate over the
// whole run so far, which a briefly busy machine does not throw about. Time spent on side
// outputs (samples, evaluations, checkpoints) is left out of both.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/metrics.h"

namespace gen {

class MetricWindow {
 public:
  MetricWindow();

  void restart();                      // training starts (or starts again) now
  void add(const StepResult& result);  // a step's metrics; those of a skipped step do not count
  void count_step();                   // every step, applied or skipped
  void exclude(double seconds);        // time that was not training

  struct Summary {
    MetricValues means;  // in the order the metrics first appeared
    int64_t steps = 0;   // steps in the window
    double steps_per_s = 0;
    double run_steps_per_s = 0;  // over every window so far
  };
  // Closes the window and starts the next one.
  Summary close();

 private:
  using Clock = std::chrono::steady_clock;
  struct Sum {
    std::string name;
    Better better;
    torch::Tensor total;  // double, on the device
    torch::Tensor count;  // double, on the device: the steps that counted
  };
  std::vector<Sum> sums_;
  int64_t steps_ = 0, run_steps_ = 0;
  double excluded_ = 0, run_seconds_ = 0;
  Clock::time_point start_;
};

}  // namespace gen
