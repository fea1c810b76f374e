#include "train/guard.h"

#include <spdlog/spdlog.h>

#include "io/metrics_log.h"
#include "models/model_checkpoint.h"
#include "util/errors.h"

namespace gen {

bool Guard::record(bool skipped) {
  if (!skipped) {
    bad_in_row_ = 0;
    return false;
  }
  ++bad_in_row_;
  ++skipped_;
  return config_.max_bad_steps > 0 && bad_in_row_ >= config_.max_bad_steps;
}

int64_t Guard::take_skipped() {
  const int64_t n = skipped_;
  skipped_ = 0;
  return n;
}

int64_t Guard::roll_back(int64_t step, const std::string& checkpoint, GenerativeModel& model, MetricsLog& metrics,
                         torch::Device device) {
  const int64_t bad = bad_in_row_;
  const std::string what =
      fmt::format("{} steps in a row with a non-finite loss or gradient (up to step {})", bad, step);
  if (rollbacks_ >= config_.max_rollbacks) {
    throw TrainingError(what + " after " + std::to_string(rollbacks_) + " rollback(s) (guard.max_rollbacks " +
                        std::to_string(config_.max_rollbacks) +
                        "); the newest checkpoint is intact: lower optim.lr, set " +
                        "optim.grad_clip, then continue with --resume auto");
  }
  if (checkpoint.empty()) {
    throw TrainingError(what + " and no checkpoint to roll back to: lower optim.lr or set optim.grad_clip");
  }
  Checkpoint ckpt = open_checkpoint(checkpoint, device);
  restore_checkpoint(ckpt, model);
  ++rollbacks_;
  bad_in_row_ = 0;
  lr_scale_ *= config_.lr_factor;
  metrics.rewind(ckpt.step);
  metrics.write(ckpt.step, {{"rollback_from", double(step)}, {"bad_steps", double(bad)}, {"lr_scale", lr_scale_}});
  spdlog::warn("{}: rolled back to {} (step {}), learning rate now scaled by {:.3g} (rollback {} of {})", what,
               checkpoint, ckpt.step, lr_scale_, rollbacks_, config_.max_rollbacks);
  return ckpt.step;
}

}  // namespace gen
