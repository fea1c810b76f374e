// A GenerativeModel's state in a checkpoint file (io/checkpoint.h has the file format).
#pragma once

#include <cstdint>
#include <string>

#include "io/checkpoint.h"

namespace gen {

class GenerativeModel;

void save_checkpoint(const std::string& path, const Config& config, const DataSpec& data, int64_t step,
                     GenerativeModel& model, double lr_scale = 1.0);

// Loads the model's state only: for a helper network (the feature net) inside another run,
// whose random stream must not change. Throws CheckpointError when the state does not fit.
void load_model_state(Checkpoint& checkpoint, GenerativeModel& model);

// The model's state and the global RNG states, to continue training or sample as it would have.
void restore_checkpoint(Checkpoint& checkpoint, GenerativeModel& model);

}  // namespace gen
