// Every rank of a data-parallel job draws the random numbers of the whole global batch and keeps
// its own rows (models/batch_random.h), so the ranks' generators stay equal, which is what lets
// rank 0's generator states in a checkpoint stand for every rank's. This checks that premise:
// a draw made on some ranks only would otherwise go unnoticed until a resume, or never, while the
// ranks trained something no single process would.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace gen {

// A collective (every rank calls it at the same step; nothing to do in a one-process world):
// throws TrainingError on every rank when any rank's CPU generator (or, on CUDA, its device's
// generator) differs from rank 0's.
void check_random_streams_agree(int64_t step, const torch::Device& device);

}  // namespace gen
