// Latent noise for samples: the fixed bank that training grids reuse at every sample step, and
// the draw a sample request asks for.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "core/sample.h"

namespace gen {

// (n, dim) on the CPU, from its own generator seeded by `seed`: the bank does not depend on
// how much of the global random stream the weights used.
torch::Tensor noise_bank(uint64_t seed, int64_t n, int64_t dim);

// (n', dim) on the CPU: the first n of the bank for training grids (n' = min(n, bank size)),
// else n drawn from request.seed (the same images on any device).
torch::Tensor request_latents(const SampleRequest& request, int64_t n, const torch::Tensor& bank);

// The values (classes, or a latent code's values: 0 .. count-1) a conditional sample request
// is drawn for, on the CPU: request.label for every image, or with none asked (-1) one value per
// grid row, n rounded down to a multiple of count (at least one image each).
struct RequestValues {
  torch::Tensor y;   // (n) int64
  int64_t n = 0;     // images to draw
  int64_t nrow = 0;  // images per row; 0 when one label was asked
};
// Throws UsageError "--class L: <takes> 0 to count-1" for a label out of range, where `takes`
// says what the values are (": the model knows classes").
RequestValues request_values(const SampleRequest& request, int64_t count, const std::string& takes);

}  // namespace gen
