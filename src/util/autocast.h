// Applying runtime.precision: resolving `auto` for a device, and the scope that runs forward
// passes under autocast. Autocast keeps a cache of the low-precision copies of weights; it is
// cleared when the outermost scope ends (as PyTorch's own context manager does), because the
// optimizer updates the weights in place and a stale copy would train a frozen network.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "util/precision.h"

namespace gen {

// `asked` as it applies on `device`: auto becomes bf16 on CUDA with compute capability >= 8,
// else fp32 or tf32 (after runtime.tf32); tf32 is fp32 on the CPU. Throws ConfigError for a
// precision the device cannot run (fp16 on the CPU: LibTorch's CPU autocast has bfloat16 only).
Precision resolve_precision(Precision asked, bool tf32, const torch::Device& device);

// Whether CUDA's float32 matrix products may use TF32 under the resolved precision: always for
// tf32, never for fp32, for the float32 work outside autocast after runtime.tf32 for bf16/fp16.
inline bool allows_tf32(Precision resolved, bool tf32) {
  return resolved == Precision::kTf32 || (uses_autocast(resolved) && tf32);
}

// A line for the log: what the resolved precision means on the device.
std::string describe_precision(Precision resolved, const torch::Device& device);

// The type autocast casts the products to on devices of `type` where it is on now; nullopt
// where it is off (fp32, tf32, or outside every AutocastScope).
std::optional<at::ScalarType> active_autocast_type(c10::DeviceType type);

// Autocast of `device`'s type to the precision's type for the scope's lifetime (nothing for
// fp32 and tf32). Nests; the outermost scope clears the cast cache when it ends.
class AutocastScope {
 public:
  AutocastScope(Precision precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool was_enabled_ = false;
  c10::DeviceType device_type_ = c10::DeviceType::CPU;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace gen
