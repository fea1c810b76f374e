#include "models/memory_format.h"

namespace gen {

bool use_channels_last(const Config& config, bool auto_choice) {
  switch (config.runtime.memory_format) {
    case MemoryFormat::kContiguous:
      return false;
    case MemoryFormat::kChannelsLast:
      return true;
    case MemoryFormat::kAuto:
      break;
  }
  return auto_choice;
}

void set_layout(torch::nn::Module& net, bool channels_last) {
  torch::NoGradGuard no_grad;
  const auto format = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  for (auto& p : net.parameters()) {
    if (p.dim() == 4 && !p.is_contiguous(format)) p.set_data(p.contiguous(format));
  }
  for (auto& b : net.buffers()) {
    if (b.dim() == 4 && !b.is_contiguous(format)) b.set_data(b.contiguous(format));
  }
}

}  // namespace gen
