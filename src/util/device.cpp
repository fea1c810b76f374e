#include "util/device.h"

#include "util/errors.h"

namespace gen {

torch::Device choose_device(const std::string& spec) {
  const bool has_cuda = torch::cuda::is_available();
  if (spec == "auto") return has_cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (spec == "cpu") return torch::Device(torch::kCPU);
  const int index = spec == "cuda" ? 0 : std::stoi(spec.substr(5));  // config checked "cuda:N"
  if (!has_cuda) {
    throw ConfigError("device: '" + spec + "' requested, but this LibTorch build sees no CUDA GPU (use device: auto or cpu)");
  }
  if (index >= static_cast<int>(torch::cuda::device_count())) {
    throw ConfigError("device: '" + spec + "' requested, but only " +
                      std::to_string(torch::cuda::device_count()) + " CUDA device(s) are visible");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace gen
