#include "util/device.h"

#include <cstdlib>

#include "util/errors.h"
#include "util/torch_version.h"

namespace gen {

torch::Device choose_device(const std::string& spec) {
  if (!is_device_spec(spec)) throw UsageError("device: expected auto, cpu, cuda or cuda:N, got '" + spec + "'");
  const bool has_cuda = torch::cuda::is_available();
  if (spec == "auto") return has_cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (spec == "cpu") return torch::Device(torch::kCPU);
  const int index = spec == "cuda" ? 0 : std::stoi(spec.substr(5));
  if (!has_cuda) {
    throw ConfigError("device: '" + spec +
                      "' requested, but this LibTorch build sees no CUDA GPU (use device: auto or cpu)");
  }
  if (index >= static_cast<int>(torch::cuda::device_count())) {
    throw ConfigError("device: '" + spec + "' requested, but only " + std::to_string(torch::cuda::device_count()) +
                      " CUDA device(s) are visible");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string configure_cuda_math(bool tf32, bool deterministic, const torch::Device& device) {
  if (!device.is_cuda()) return "";
#if GEN_TORCH_AT_LEAST(2, 13)
  // The per-backend, per-op precision settings that replace allow_tf32 (whose setters warn from
  // 2.9 on); the enum form is the one verified against 2.13's and 2.14's ATen/Context.h.
  const at::Float32Precision precision = tf32 ? at::Float32Precision::TF32 : at::Float32Precision::IEEE;
  at::globalContext().setFloat32Precision(at::Float32Backend::CUDA, at::Float32Op::MATMUL, precision);
  at::globalContext().setFloat32Precision(at::Float32Backend::CUDA, at::Float32Op::CONV, precision);
#else
  at::globalContext().setAllowTF32CuBLAS(tf32);
  at::globalContext().setAllowTF32CuDNN(tf32);
#endif
  if (deterministic) {
    // cuBLAS repeats its sums only with a fixed workspace, read when its first handle is made.
    ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
    at::globalContext().setBenchmarkCuDNN(false);
    at::globalContext().setDeterministicCuDNN(true);
    at::globalContext().setDeterministicAlgorithms(
        true, /*warn_only=*/true);  // a warning, not an error, for an op without one
  }
  return std::string("CUDA math: ") +
         (tf32 ? "TF32 tensor cores for float32 matmuls and convolutions" : "full float32") +
         (deterministic ? ", deterministic kernels" : "") + " (runtime.tf32, runtime.deterministic)";
}

}  // namespace gen
