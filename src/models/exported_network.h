// A network of a trained model as `gen export` hands it to other tools: its state dict under
// the key names and shapes of the reference implementation it matches (nanoGPT's GPT, the
// pytorch/examples DCGAN and VAE), or under gen's own names when it matches none, and a probe:
// a fixed input with what the network returns for it, so a network rebuilt elsewhere can be
// checked against gen's own output.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace gen {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct ExportedNetwork {
  std::string name;       // "model" for one-network families; "generator" and "discriminator" for a GAN
  std::string reference;  // the class whose names the keys follow, e.g. "nanoGPT model.GPT"; "" = gen's own names
  NamedTensors tensors;   // the state dict: CPU, contiguous, parameters then buffers
  // The reference class's constructor arguments where it takes a config (nanoGPT's model_args).
  std::vector<std::pair<std::string, c10::IValue>> args;
  // A diffusion model's noise schedule and sampler as the reference library's scheduler config
  // (diffusers: "_class_name" first, then DDIMScheduler's or FlowMatchEulerDiscreteScheduler's
  // arguments), for exports that write one; empty for other networks.
  std::vector<std::pair<std::string, c10::IValue>> scheduler;
  // "input" (what the reference's forward takes) and its outputs, named after what it returns.
  NamedTensors probe;
};

// The value of `key` in a constructor-argument list (args or scheduler); nullptr when absent.
const c10::IValue* find_arg(const std::vector<std::pair<std::string, c10::IValue>>& args, const std::string& key);

// The parameters and buffers of `module` (CPU copies) with each name passed through `rename`.
NamedTensors state_dict_renamed(const torch::nn::Module& module,
                                const std::function<std::string(const std::string&)>& rename);

// The parts of a dotted name, "blocks.3.attn.c_attn.weight" -> {"blocks", "3", "attn", ...}.
std::vector<std::string> name_parts(const std::string& name);

// CPU copy of a probe tensor, detached.
torch::Tensor probe_copy(const torch::Tensor& t);

}  // namespace gen
