#include "data/batcher.h"

#include "util/errors.h"

namespace gen {

Batcher::Batcher(const ImageDataset& data, int64_t batch_size, uint64_t seed, torch::Device device)
    : images_(data.images.to(device)),
      labels_(data.labels.defined() ? data.labels.to(device) : torch::Tensor()),
      batch_size_(batch_size),
      batches_per_epoch_(data.images.size(0) / batch_size),
      seed_(seed),
      device_(device) {
  if (batches_per_epoch_ == 0) {
    throw DataError(data.origin + ": data.batch_size " + std::to_string(batch_size) + " is larger than the data set (" +
                    std::to_string(data.images.size(0)) + " examples)");
  }
}

Batch Batcher::batch_at(int64_t step) {
  const int64_t epoch = step / batches_per_epoch_;
  if (epoch != perm_epoch_) {
    // A distinct stream per epoch; the odd constant keeps (seed, epoch) pairs from colliding.
    auto gen = at::detail::createCPUGenerator(seed_ * 0x9E3779B97F4A7C15ULL + uint64_t(epoch));
    perm_ = torch::randperm(images_.size(0), gen, torch::kInt64).to(device_);
    perm_epoch_ = epoch;
  }
  const torch::Tensor idx = perm_.narrow(0, (step % batches_per_epoch_) * batch_size_, batch_size_);
  Batch batch;
  batch.x = images_.index_select(0, idx).to(torch::kFloat).mul_(2.0 / 255.0).sub_(1.0);  // (B, C, H, W)
  if (labels_.defined()) batch.y = labels_.index_select(0, idx);                         // (B)
  return batch;
}

}  // namespace gen
