#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "config/config.h"

namespace gen {

double lr_at(const OptimConfig& optim, int64_t total_steps, int64_t step) {
  if (step < optim.warmup_steps) {
    return optim.lr * double(step + 1) / double(optim.warmup_steps + 1);
  }
  switch (optim.schedule) {
    case Schedule::kConstant:
      return optim.lr;
    case Schedule::kCosine:
      break;
  }
  const int64_t span = std::max<int64_t>(1, total_steps - 1 - optim.warmup_steps);
  const double progress = std::clamp(double(step - optim.warmup_steps) / double(span), 0.0, 1.0);
  return optim.min_lr + 0.5 * (1.0 + std::cos(M_PI * progress)) * (optim.lr - optim.min_lr);
}

}  // namespace gen
