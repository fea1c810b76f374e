#include "data/data_registry.h"

#include "data/data_source.h"

namespace gen {

std::unique_ptr<DataSource> open_image_source(const Config& config, torch::Device device);
std::unique_ptr<DataSource> open_text_source(const Config& config, torch::Device device);

namespace {
// In DataKind order.
const DataKindInfo kKinds[] = {
    {DataKind::kMnist, load_mnist_layout, open_image_source, true, "configs/classifier_mnist.yaml"},
    {DataKind::kFashionMnist, load_mnist_layout, open_image_source, true, "configs/classifier_fashion_mnist.yaml"},
    {DataKind::kIdx, load_idx_files, open_image_source, false, nullptr},
    {DataKind::kImageFolder, load_image_folder_kind, open_image_source, false, nullptr},
    {DataKind::kText, nullptr, open_text_source, true, nullptr},
};
}  // namespace

const DataKindInfo& data_kind_info(DataKind kind) { return enum_row(kKinds, kind, &DataKindInfo::kind); }

std::unique_ptr<DataSource> open_data_source(const Config& config, torch::Device device) {
  return data_kind_info(config.data.kind).open(config, device);
}

}  // namespace gen
