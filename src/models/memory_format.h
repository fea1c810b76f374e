// runtime.memory_format for the convolution families: channels-first (NCHW) or channels-last
// (NHWC) weights and activations. The layout changes which kernels oneDNN / cuDNN pick, so
// speed (and the last bits of results) differ; a family's `auto` is what measurement found
// faster for it on the device and precision (docs/RESULTS.md, "Memory format").
#pragma once

#include <torch/torch.h>

#include "config/config.h"
#include "util/precision.h"

namespace gen {

// Whether a family uses channels-last: the config's explicit choice, else `auto_choice`.
bool use_channels_last(const Config& config, bool auto_choice);

// Every 4-D parameter and buffer of `net` in channels-last (or channels-first) layout, in place:
// the tensors stay the same objects, so optimizers and EMAs made afterwards work in it too.
// Also after loading a checkpoint, whose tensors come in the layout they were saved in.
void set_layout(torch::nn::Module& net, bool channels_last);

// `net` (a module holder) in the layout.
template <class Net>
Net laid_out(Net net, bool channels_last) {
  set_layout(*net, channels_last);
  return net;
}

// A batch (N, C, H, W) in the layout of the weights of the conv that takes it: a net built
// channels-last gets channels-last input (nothing changes for a channels-first net).
inline torch::Tensor like_weights(const torch::Tensor& x, const torch::Tensor& weight) {
  const bool channels_last =
      weight.dim() == 4 && !weight.is_contiguous() && weight.is_contiguous(at::MemoryFormat::ChannelsLast);
  return channels_last ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
}

}  // namespace gen
