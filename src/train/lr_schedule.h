// The learning rate as a pure function of the step: linear warm-up, then constant or cosine
// decay to min_lr at the last step (nanoGPT's schedule).
#pragma once

#include <cstdint>

namespace gen {

struct OptimConfig;

double lr_at(const OptimConfig& optim, int64_t total_steps, int64_t step);

}  // namespace gen
