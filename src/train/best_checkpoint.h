// train.keep_best: checkpoints/best.pt holds the run's best evaluation of one figure so far,
// and best.json says which (and carries the value across a resume). Neither is touched by
// keep_last pruning. Whether higher is better is what the figure itself declares.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/metrics.h"

namespace gen {

// The step best.json in CHECKPOINTS_DIR records, or -1 when there is none (or it is unreadable).
int64_t best_checkpoint_step(const std::string& checkpoints_dir);

class BestCheckpoint {
 public:
  // `metric` empty = off. Reads the best value an earlier part of the run recorded for it.
  BestCheckpoint(std::string metric, std::string checkpoints_dir);

  // When `values` holds the metric at a better value than any so far, `save` writes best.pt
  // (given its path) and best.json records the value.
  void offer(const MetricValues& values, int64_t step, const std::function<void(const std::string&)>& save);

 private:
  std::string metric_, dir_;
  std::optional<double> best_;
};

}  // namespace gen
