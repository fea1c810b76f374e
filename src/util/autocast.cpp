#include "util/autocast.h"

#include <ATen/autocast_mode.h>

#include "util/errors.h"
#include "util/torch_version.h"

// The device properties come from LibTorch's CUDA context, in CUDA builds only: GEN_WITH_CUDA is
// set by CMake when the LibTorch has CUDA. (CPU LibTorches ship ATen/cuda/CUDAContext.h too,
// and a CUDA toolkit's cuda_runtime_api.h on the include path does not make it compile: it
// needs cuBLAS, cuSPARSE and LibTorch's CUDA build settings.)
#ifdef GEN_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#define GEN_HAVE_CUDA_CONTEXT 1
#endif

// LibTorch 2.4 made the autocast switches per device type; 1.13 has one pair per backend.
#if GEN_TORCH_AT_LEAST(2, 4)
#define GEN_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace gen {

namespace {

int compute_capability_major(const torch::Device& device) {
#ifdef GEN_HAVE_CUDA_CONTEXT
  if (device.is_cuda()) return at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index())->major;
#endif
  (void)device;
  return 0;
}

bool autocast_enabled(c10::DeviceType type) {
#ifdef GEN_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void set_autocast_enabled(c10::DeviceType type, bool on) {
#ifdef GEN_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(type, on);
#else
  if (type == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_cpu_enabled(on);
  }
#endif
}

at::ScalarType autocast_dtype(c10::DeviceType type) {
#ifdef GEN_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast_dtype(c10::DeviceType type, at::ScalarType dtype) {
#ifdef GEN_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == c10::DeviceType::CUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

}  // namespace

Precision resolve_precision(Precision asked, bool tf32, const torch::Device& device) {
  const bool cuda = device.is_cuda();
  switch (asked) {
    case Precision::kAuto:
      if (cuda && compute_capability_major(device) >= 8) return Precision::kBf16;
      return cuda && tf32 ? Precision::kTf32 : Precision::kFp32;
    case Precision::kTf32:
      return cuda ? Precision::kTf32 : Precision::kFp32;
    case Precision::kFp16:
      if (!cuda) {
        throw ConfigError("runtime.precision: fp16 needs a CUDA device (LibTorch's CPU autocast runs bfloat16 only; "
                          "use bf16 or fp32 on the CPU)");
      }
      return asked;
    case Precision::kFp32:
    case Precision::kBf16:
      return asked;
  }
  return asked;
}

std::string describe_precision(Precision p, const torch::Device& device) {
  switch (p) {
    case Precision::kFp32:
      return "float32";
    case Precision::kTf32:
      return "float32 with TF32 matrix products and convolutions";
    case Precision::kBf16:
      return std::string("bfloat16 autocast of the forward passes on ") + (device.is_cuda() ? "CUDA" : "the CPU") +
             " (weights, gradients and optimizer in float32)";
    case Precision::kFp16:
      return "float16 autocast of the forward passes with dynamic loss scaling (weights and optimizer in float32)";
    case Precision::kAuto:
      break;
  }
  return "auto";
}

std::optional<at::ScalarType> active_autocast_type(c10::DeviceType type) {
  if (!autocast_enabled(type)) return std::nullopt;
  return autocast_dtype(type);
}

AutocastScope::AutocastScope(Precision precision, const torch::Device& device) {
  if (!uses_autocast(precision)) return;
  active_ = true;
  device_type_ = device.type();
  was_enabled_ = autocast_enabled(device_type_);
  previous_dtype_ = autocast_dtype(device_type_);
  set_autocast_enabled(device_type_, true);
  set_autocast_dtype(device_type_, precision == Precision::kBf16 ? at::kBFloat16 : at::kHalf);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_dtype(device_type_, previous_dtype_);
  set_autocast_enabled(device_type_, was_enabled_);
}

}  // namespace gen
