#include "train/guard.h"

#include <spdlog/spdlog.h>

#include "train/run_log.h"
#include "models/model_checkpoint.h"
#include "util/errors.h"

namespace gen {

void Guard::record(const torch::Tensor& skipped) {
  if (!skipped.defined()) {
    if (run_.defined()) run_.zero_();
    return;
  }
  if (!run_.defined()) {
    run_ = torch::zeros({}, skipped.options().dtype(torch::kFloat));
    skipped_ = torch::zeros_like(run_);
    longest_ = torch::zeros_like(run_);
  }
  const torch::Tensor flag = skipped.detach().to(torch::kFloat);
  skipped_.add_(flag);
  run_.add_(flag).mul_(flag);  // one more bad step in a row, or back to 0
  at::maximum_out(longest_, longest_, run_);
}

bool Guard::read() {
  if (!run_.defined()) return false;
  const torch::Tensor host = torch::stack({skipped_, longest_}).to(torch::kCPU);
  skipped_read_ += int64_t(host[0].item<float>());
  longest_read_ = int64_t(host[1].item<float>());
  skipped_.zero_();
  longest_.copy_(run_);  // a run still going on carries into the next reading
  return config_.max_bad_steps > 0 && longest_read_ >= config_.max_bad_steps;
}

void Guard::restart_counts() {
  if (!run_.defined()) return;
  run_.zero_();
  longest_.zero_();
}

int64_t Guard::take_skipped() {
  const int64_t n = skipped_read_;
  skipped_read_ = 0;
  return n;
}

int64_t Guard::roll_back(int64_t step, const std::string& checkpoint, GenerativeModel& model, RunLog* log,
                         torch::Device device) {
  const int64_t bad = longest_read_;
  const std::string what =
      fmt::format("{} steps in a row with a non-finite loss or gradient (before step {})", bad, step);
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
  restart_counts();
  longest_read_ = 0;
  lr_scale_ *= config_.lr_factor;
  if (log) {
    log->rewind(ckpt.step);
    log->figures(ckpt.step, {{"rollback_from", double(step)}, {"bad_steps", double(bad)}, {"lr_scale", lr_scale_}});
  }
  spdlog::warn("{}: rolled back to {} (step {}), learning rate now scaled by {:.3g} (rollback {} of {})", what,
               checkpoint, ckpt.step, lr_scale_, rollbacks_, config_.max_rollbacks);
  return ckpt.step;
}

}  // namespace gen
