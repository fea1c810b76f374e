// GELU (the exact one, x Phi(x) with erf, as nanoGPT and F::gelu) of bf16 and fp16 CPU tensors
// by table: a 16-bit input has 65536 values, so the output of each is looked up (the float64
// GELU rounded to nearest), and so is the float derivative the backward pass multiplies by.
// No erf or exp at run time; the backward pass keeps x, as F::gelu does. Timings against
// LibTorch's (oneDNN's) GELU: docs/RESULTS.md, session 19.
#pragma once

#include <torch/torch.h>

namespace gen {

// The name its forward pass runs under in LibTorch's RecordFunction (gen bench --profile).
constexpr const char* kGeluCpuOp = "gen::gelu_cpu";

// Whether gelu_cpu takes x: a bf16 or fp16 tensor on the CPU.
bool gelu_cpu_fits(const torch::Tensor& x);

// gelu(x) in x's type; differentiable once (the backward pass is not itself differentiable).
torch::Tensor gelu_cpu(const torch::Tensor& x);

}  // namespace gen
