// Turns the config's `device` string into a torch::Device, checking that it exists.
#pragma once

#include <torch/torch.h>

#include <string>

namespace gen {

// "auto" picks cuda:0 when LibTorch sees a GPU. Throws ConfigError for a device that is not there.
torch::Device choose_device(const std::string& spec);

}  // namespace gen
