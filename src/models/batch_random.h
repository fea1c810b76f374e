// Random numbers of a training step that do not depend on how a data-parallel job splits the
// batch: every rank draws the numbers of the whole global (micro-)batch from the same stream,
// as one process would, and keeps the rows of its own slice (Batch::slice). All ranks' random
// streams therefore stay equal, and N ranks train what one process trains. One process (or
// `split` false, outside training): the plain draw.
#pragma once

#include <torch/torch.h>

namespace gen {

// randn, rand and randint of `shape` (this rank's rows first) for this rank's rows.
torch::Tensor batch_randn(at::IntArrayRef shape, const torch::TensorOptions& options);
torch::Tensor batch_rand(at::IntArrayRef shape, const torch::TensorOptions& options);
torch::Tensor batch_randint(int64_t low, int64_t high, at::IntArrayRef shape, const torch::TensorOptions& options);
// randn_like(local) for this rank's rows.
torch::Tensor batch_randn_like(const torch::Tensor& local, bool split = true);
// F::dropout(x, p, training) with the mask drawn for the global batch (x's first dimension
// the batch; a non-contiguous x gets the mask of its contiguous copy).
torch::Tensor batch_dropout(const torch::Tensor& x, double p, bool training);
// bernoulli(p) elementwise for this rank's rows of p.
torch::Tensor batch_bernoulli(const torch::Tensor& p, bool split = true);

}  // namespace gen
