// The arithmetic a run trains in (runtime.precision). Torch-free: the config names it; the
// autocast scope that applies it is util/autocast.h.
#pragma once

#include <array>
#include <string_view>

#include "util/enum_names.h"

namespace gen {

// auto: bf16 autocast on CUDA devices that have bfloat16 tensor cores (compute capability >= 8),
// else float32 (with TF32 on CUDA when runtime.tf32); fp32: full float32 everywhere; tf32:
// float32 with TF32 matrix products and convolutions on CUDA; bf16 / fp16: autocast of the
// forward passes to that type (fp16 with dynamic loss scaling), weights and optimizer in float32.
enum class Precision { kAuto, kFp32, kTf32, kBf16, kFp16 };
template <>
struct EnumNames<Precision> {
  static constexpr std::array<std::string_view, 5> names{"auto", "fp32", "tf32", "bf16", "fp16"};
};

// Whether forward passes run under autocast in this (resolved) precision.
inline bool uses_autocast(Precision p) { return p == Precision::kBf16 || p == Precision::kFp16; }

}  // namespace gen
