// A checkpoint's model as gen sample, eval and export (and --guide) use it: the config with its
// data kind's options resolved, the network built on the device with the saved weights.
#pragma once

#include <torch/torch.h>
#include <memory>
#include <string>

#include "io/checkpoint.h"

namespace gen {

class GenerativeModel;

struct LoadedModel {
  Checkpoint checkpoint;
  std::unique_ptr<GenerativeModel> model;
};

// Weights only: the process's random states stay as they are (restore_rng(loaded.checkpoint)
// continues the saved ones). Throws CheckpointError naming the file.
LoadedModel load_model(const std::string& path, torch::Device device);

}  // namespace gen
