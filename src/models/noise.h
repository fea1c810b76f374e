// Latent noise for samples: the fixed bank that training grids reuse at every sample step, and
// the draw a sample request asks for.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "core/sample.h"

namespace gen {

// (n, dim) on the CPU, from its own generator seeded by `seed`: the bank does not depend on
// how much of the global random stream the weights used.
torch::Tensor noise_bank(uint64_t seed, int64_t n, int64_t dim);

// (n', dim) on the CPU: the first n of the bank for training grids (n' = min(n, bank size)),
// else n drawn from request.seed (the same images on any device).
torch::Tensor request_latents(const SampleRequest& request, int64_t n, const torch::Tensor& bank);

}  // namespace gen
