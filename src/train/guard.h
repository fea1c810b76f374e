// The non-finite guard: counts steps whose update was skipped for a non-finite gradient, and
// after guard.max_bad_steps of them in a row rolls the model back to the newest checkpoint
// with the learning rate scaled by guard.lr_factor, up to guard.max_rollbacks times.
// The counting happens on the device, from each step's flag; the loop reads the counts back
// only where it stops anyway (log lines, checkpoints, the last step), so a rollback comes at
// the first such step after the bad run, and the steps in between are discarded with it.
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>

#include "config/config.h"

namespace gen {

class GenerativeModel;
class RunLog;

class Guard {
 public:
  // `lr_scale`: the scale earlier rollbacks of this run left (saved in its checkpoints).
  Guard(const GuardConfig& config, double lr_scale) : config_(config), lr_scale_(lr_scale) {}

  // Records one finished step's flag (StepResult::skipped; undefined: nothing skipped), on the device.
  void record(const torch::Tensor& skipped);
  // Reads the counts back (a device sync): true when a run of guard.max_bad_steps bad steps
  // happened since the last read, which makes a rollback due.
  bool read();
  double lr_scale() const { return lr_scale_; }
  // Skipped steps read since the last call (for the log line).
  int64_t take_skipped();

  // Restores `checkpoint` (the run's newest) into the model and rewinds the run's records to it;
  // returns the step to continue from. Throws TrainingError when out of rollbacks or when
  // there is no checkpoint.
  // `log` is null on the ranks of a data-parallel job other than 0.
  int64_t roll_back(int64_t step, const std::string& checkpoint, GenerativeModel& model, RunLog* log,
                    torch::Device device);

 private:
  GuardConfig config_;
  double lr_scale_;
  void restart_counts();
  // On the device: skipped steps since the last read, the current run of them, the longest run since the last read.
  torch::Tensor skipped_, run_, longest_;
  int64_t longest_read_ = 0, skipped_read_ = 0, rollbacks_ = 0;
};

}  // namespace gen
