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

// The bf16 table itself, for a kernel that applies GELU to its own output (models/
// linear_bf16_cpu.h): the GELU of each of the 65536 bf16 bit patterns, as bf16 bits, and one
// zero entry after them (so that 32 bits can be read at every entry).
const uint16_t* gelu_bf16_values();

// dx = dy GELU'(x) for n bf16 elements, rounded as gelu_cpu's backward pass rounds (the same
// bits); one thread, the instruction set's clone.
void gelu_bf16_backward(const c10::BFloat16* dy, const c10::BFloat16* x, c10::BFloat16* dx, int64_t n);

}  // namespace gen
