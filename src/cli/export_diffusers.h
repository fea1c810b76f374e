// gen export --format diffusers: a diffusion model as the folder diffusers' from_pretrained
// reads (the layout of a Hub repository such as google/ddpm-cifar10-32):
//   unet/config.json                           UNet2DModel's arguments ("_class_name": "UNet2DModel")
//   unet/diffusion_pytorch_model.safetensors   its state dict under diffusers' names
//   scheduler/scheduler_config.json            the scheduler that steps like gen's sampler
//   model_index.json                           an unconditional eps/v model: DDIMPipeline or DDPMPipeline
// (a class-conditional model has no diffusers pipeline that passes classes; a flow model's
// FlowMatchEulerDiscreteScheduler has no UNet2DModel pipeline: both get the two folders).
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "models/exported_network.h"

namespace gen {

// A constructor argument as JSON: bool, int, double, string, or a list of them.
nlohmann::ordered_json ivalue_json(const c10::IValue& v);

// The diffusers version whose loaders gen's interop test checks these files with.
inline constexpr const char* kDiffusersVersion = "0.42.1";

// What the exported scheduler leaves out of gen's sampler `settings` (GenerativeModel::sampler_settings
// with the model's own defaults), one line each for the log: euler's eta (gen's own stochastic step;
// FlowMatchEulerDiscreteScheduler steps as gen does at eta 0) and ddim's (DDIMPipeline takes eta
// as a call argument, default 0).
std::vector<std::string> diffusers_sampling_gaps(const std::vector<std::pair<std::string, std::string>>& settings);

// Writes the folder `dir` (which must not exist, or be empty) whole or not at all: the files go
// to a sibling folder first, renamed to `dir` at the end. `meta`: safetensors string metadata.
// Throws UsageError when `net` is not a diffusers UNet2DModel. Returns the files written, relative to `dir`.
std::vector<std::string> write_diffusers_folder(const std::string& dir, const ExportedNetwork& net,
                            std::vector<std::pair<std::string, std::string>> meta);

}  // namespace gen
