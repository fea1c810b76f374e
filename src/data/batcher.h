// Draws training batches from an in-memory image set. The batch for a step is a pure
// function of (seed, step): epoch e uses the permutation seeded by (seed, e) and the batch is
// its slice step % batches_per_epoch, so a resumed run sees exactly the same data order
// without saving iterator state. Each batch is one index_select on the uint8 set (on the
// training device) and one conversion to float in [-1, 1]; no per-example collation.
#pragma once

#include <torch/torch.h>

#include "core/batch.h"
#include "data/image_dataset.h"

namespace gen {

class Batcher {
 public:
  Batcher(const ImageDataset& data, int64_t batch_size, uint64_t seed, torch::Device device);

  Batch batch_at(int64_t step);
  int64_t batches_per_epoch() const { return batches_per_epoch_; }

 private:
  torch::Tensor images_;  // (N, C, H, W) uint8 on the device
  torch::Tensor labels_;  // (N) int64 on the device, or undefined
  int64_t batch_size_;
  int64_t batches_per_epoch_;
  uint64_t seed_;
  torch::Device device_;
  torch::Tensor perm_;  // (N) int64 permutation of perm_epoch_, on the device
  int64_t perm_epoch_ = -1;
};

}  // namespace gen
