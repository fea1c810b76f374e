// The global L2 norm of a set of gradients (what clipping divides by), 0-dim float on their
// device. float32 tensors on the CPU: one pass over all of them in fixed chunks, squares summed
// in float64 (as LibTorch's CPU norm accumulates), chunks added in order, so neither the thread
// count nor the instruction set (util/cpu_kernels_isa.h) changes a bit; elsewhere PyTorch's
// clip_grad_norm_ way (a norm per tensor, then theirs), which on the CPU is one op per tensor.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace gen {

torch::Tensor global_norm(const std::vector<torch::Tensor>& grads);

}  // namespace gen
