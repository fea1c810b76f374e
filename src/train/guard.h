// The non-finite guard: counts steps whose update was skipped for a non-finite gradient, and
// after guard.max_bad_steps of them in a row rolls the model back to the newest checkpoint
// with the learning rate scaled by guard.lr_factor, up to guard.max_rollbacks times.
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>

#include "config/config.h"

namespace gen {

class GenerativeModel;
class MetricsLog;

class Guard {
 public:
  // `lr_scale`: the scale earlier rollbacks of this run left (saved in its checkpoints).
  Guard(const GuardConfig& config, double lr_scale) : config_(config), lr_scale_(lr_scale) {}

  // Records one finished step; true when it makes a rollback due.
  bool record(bool skipped);
  double lr_scale() const { return lr_scale_; }
  // Skipped steps since the last call (for the log line).
  int64_t take_skipped();

  // Restores `checkpoint` (the run's newest) into the model and rewinds the metrics log to it;
  // returns the step to continue from. Throws TrainingError when out of rollbacks or when
  // there is no checkpoint.
  int64_t roll_back(int64_t step, const std::string& checkpoint, GenerativeModel& model, MetricsLog& metrics,
                    torch::Device device);

 private:
  GuardConfig config_;
  double lr_scale_;
  int64_t bad_in_row_ = 0, skipped_ = 0, rollbacks_ = 0;
};

}  // namespace gen
