// Layer norm of float32 rows on the CPU as one autograd node that writes its output in the
// type the next product reads: bf16 under CPU autocast, where LibTorch's layer norm (a float32
// op there) returns float32 and the linear after it casts that to bf16 (a pass each way, and
// one more for the gradient). Rows are split among threads in fixed blocks, and the weight and
// bias gradients summed block by block in order, so the thread count does not change the bits.
// Timings: docs/RESULTS.md, session 19.
#pragma once

#include <torch/torch.h>

namespace gen {

// The name its forward pass runs under in LibTorch's RecordFunction (gen bench --profile).
constexpr const char* kLayerNormCpuOp = "gen::layer_norm_cpu";

// Whether layer_norm_cpu takes x: float32 on the CPU, normalized over its last dimension of
// weight.numel() (float32, as bias when defined).
bool layer_norm_cpu_fits(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// (x - mean) / sqrt(var + eps) * weight + bias over x's last dimension, computed in float32 and
// written as `out` (float32 or bf16); differentiable once in x, weight and bias.
torch::Tensor layer_norm_cpu(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps,
                             torch::ScalarType out);

}  // namespace gen
