// Turns the config's `device` string into a torch::Device, checking that it exists.
#pragma once

#include <torch/torch.h>

#include <string>

#include "util/device_spec.h"

namespace gen {

// "auto" picks cuda:0 when LibTorch sees a GPU. Throws ConfigError for a device that is not there
// (SPEC must pass is_device_spec).
torch::Device choose_device(const std::string& spec);

// Sets LibTorch's process-wide CUDA math switches (runtime.tf32, runtime.deterministic);
// returns a line for the log, empty on the CPU.
std::string configure_cuda_math(bool tf32, bool deterministic, const torch::Device& device);

}  // namespace gen
