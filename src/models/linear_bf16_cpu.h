// A bias-free linear layer y = x w^T in bf16 on CPUs with AVX512_BF16, as one autograd node:
// its three products (y, x's gradient dy w, w's gradient dy^T x) are gen's own tiles of bf16
// pair dot products (vdpbf16ps), summed in float. What autocast's linear does in separate ops is
// folded into the products' operand copies: w is rounded from float as it is laid out for them
// (no bf16 copy of it per step) and w's gradient is written in float (no bf16 gradient, no
// cast). Timings against LibTorch's bf16 mm: docs/RESULTS.md ("The Transformer's products as
// gen's own bf16 tiles").
#pragma once

#include <torch/torch.h>

namespace gen {

// The names their forward passes run under in LibTorch's RecordFunction (profiler, FLOP counter).
constexpr const char* kLinearBf16CpuOp = "gen::linear_bf16_cpu";
constexpr const char* kLinearGeluBf16CpuOp = "gen::linear_gelu_bf16_cpu";

// Whether linear_bf16_cpu takes x (..., K) and weight (N, K) with this bias: a CPU with
// AVX512_BF16 (util/cpu_kernels_isa.h), x on the CPU in float or bf16, a float weight, no bias,
// K even (the forward product reads x's rows in pairs).
bool linear_bf16_cpu_fits(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// y (..., N) in bf16 = x w^T, x and w rounded to bf16 and every product summed in float (what
// autocast's bf16 linear computes, its sums in another order); differentiable once: x's gradient
// in x's type, w's in float. With a residual (..., N) in float, y = residual + x w^T in float,
// the product added unrounded (a Transformer's residual stream without an add op of its own).
torch::Tensor linear_bf16_cpu(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& residual = torch::Tensor());

// gelu_cpu(linear_bf16_cpu(x, weight)) (models/gelu_cpu.h), the same bits, in one node: the
// GELU is looked up as each tile of the product is written, and its backward pass is applied
// while the product's gradient is staged for the two gradient products (no pass of its own over
// the MLP's activations either way). Takes what linear_bf16_cpu takes.
torch::Tensor linear_gelu_bf16_cpu(const torch::Tensor& x, const torch::Tensor& weight);

}  // namespace gen
