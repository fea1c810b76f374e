// Dropout's noise on the CPU from a counter-based generator. Element i of a draw is kept when
// Philox4x32-10's output i for the draw's seed (Salmon et al., SC'11; the generator CUDA's
// dropout uses, and ATen's PhiloxRNGEngine.h) falls below (1 - p) 2^32. Any slice of a draw can
// be made alone, in parallel, with the bits the whole draw gives it: the thread count and the
// data-parallel split do not change a mask. ATen's bernoulli_ takes its numbers one after
// another from the CPU generator on one thread: docs/RESULTS.md "Dropout's noise".
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>

namespace gen {

// Philox4x32-10's four outputs for the 128-bit counter `block` (low word first) under `seed`.
std::array<uint32_t, 4> philox_block(uint64_t seed, uint64_t block);

// Noise of `shape` in options' floating type on the CPU: 1 / (1 - p) where kept, 0 where dropped,
// holding elements [first, first + numel) of the draw for `seed`. 0 <= p < 1.
torch::Tensor dropout_noise(at::IntArrayRef shape, const torch::TensorOptions& options, double p, uint64_t seed,
                            int64_t first = 0);

// x * dropout_noise(x.sizes(), x.options(), p, seed, first) as one autograd node on the CPU (the
// same values and gradient), which keeps a byte per element for the backward pass instead of the
// noise, and draws the mask in cache-sized chunks.
torch::Tensor fused_dropout(const torch::Tensor& x, double p, uint64_t seed, int64_t first = 0);

// A seed taken from the default CPU generator (whose state checkpoints carry), so masks follow
// torch::manual_seed and resume as every other draw does.
uint64_t draw_seed();

// How many threads at::parallel_for gives a range of n elements from this file: the OpenMP
// threads only where the build compiles it with OpenMP (src/CMakeLists.txt), else 1.
int parallel_threads_used(int64_t n);

}  // namespace gen
