// Image data (mnist, fashion_mnist, idx kinds) as a DataSource: the training split through the
// Batcher, the other split loaded on first use for evaluation.
#include <spdlog/spdlog.h>

#include <optional>

#include "config/config.h"
#include "data/batcher.h"
#include "data/data_registry.h"
#include "data/data_source.h"
#include "data/image_dataset.h"
#include "util/errors.h"

namespace gen {

namespace {

torch::Tensor to_unit_range(const torch::Tensor& u8) {  // uint8 -> float in [-1, 1]
  return u8.to(torch::kFloat).mul_(2.0 / 255.0).sub_(1.0);
}

class ImageSource final : public DataSource {
 public:
  ImageSource(const Config& config, torch::Device device)
      : config_(config.data),
        device_(device),
        train_(load_image_dataset(config.data)),
        batcher_(train_, config.data.batch_size, static_cast<uint64_t>(config.seed), device) {
    spec_.shape.channels = train_.images.size(1);
    spec_.shape.height = train_.images.size(2);
    spec_.shape.width = train_.images.size(3);
    spec_.shape.num_classes = train_.num_classes;
  }

  const DataSpec& spec() const override { return spec_; }

  std::string describe() const override {
    return std::to_string(train_.images.size(0)) + " images " + std::to_string(spec_.shape.channels) + "x" +
           std::to_string(spec_.shape.height) + "x" + std::to_string(spec_.shape.width) + " from " + train_.origin;
  }

  Batch batch_at(int64_t step) override { return batcher_.batch_at(step); }

  int64_t eval_batch_count(EvalSplit split) override {
    const ImageDataset* d = split_data(split);
    if (!d) return 0;
    return (d->images.size(0) + config_.batch_size - 1) / config_.batch_size;
  }

  Batch eval_batch(EvalSplit split, int64_t index) override {
    const ImageDataset* d = split_data(split);
    TORCH_CHECK(d, "no evaluation split ", enum_name(split));
    const int64_t start = index * config_.batch_size;
    const int64_t n = std::min(config_.batch_size, d->images.size(0) - start);
    return slice(*d, start, n);
  }

  Batch examples(int64_t n) override {
    const ImageDataset* d = split_data(EvalSplit::kVal);
    if (!d) d = &train_;
    return slice(*d, 0, std::min(n, d->images.size(0)));
  }

 private:
  Batch slice(const ImageDataset& d, int64_t start, int64_t n) const {
    Batch b;
    b.x = to_unit_range(d.images.narrow(0, start, n).to(device_));
    if (d.labels.defined()) b.y = d.labels.narrow(0, start, n).to(device_);
    return b;
  }

  // kTrain is the training split; kVal the other split of an MNIST-layout folder, if present.
  const ImageDataset* split_data(EvalSplit split) {
    if (split == EvalSplit::kTrain) return &train_;
    if (!data_kind_info(config_.kind).held_out_split) return nullptr;  // one split only
    if (!held_out_) {
      DataConfig other = config_;
      other.split = config_.split == Split::kTrain ? Split::kTest : Split::kTrain;
      try {
        held_out_ = load_image_dataset(other);
      } catch (const DataError& e) {
        spdlog::warn("no held-out split for evaluation ({}); evaluating on the training split only", e.what());
        held_out_ = ImageDataset{};
      }
    }
    return held_out_->images.defined() ? &*held_out_ : nullptr;
  }

  DataConfig config_;
  torch::Device device_;
  ImageDataset train_;
  std::optional<ImageDataset> held_out_;
  Batcher batcher_;
  DataSpec spec_;
};

}  // namespace

std::unique_ptr<DataSource> open_image_source(const Config& config, torch::Device device) {
  return std::make_unique<ImageSource>(config, device);
}

}  // namespace gen
