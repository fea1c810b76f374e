#include "data/data_registry.h"

#include <algorithm>

#include "data/data_options.h"
#include "data/data_source.h"

namespace gen {

std::unique_ptr<DataSource> open_image_source(const Config& config, torch::Device device);
std::unique_ptr<DataSource> open_text_source(const Config& config, torch::Device device);

namespace {
// In DataKind order.
#define GEN_DATA_OPTIONS(Options) \
  resolve_data_options_as<Options>, data_option_names<Options>, data_option_lines<Options>
const DataKindInfo kKinds[] = {
    {DataKind::kMnist, GEN_DATA_OPTIONS(NoDataOptions), load_mnist_layout, open_image_source, true,
     "configs/classifier_mnist.yaml"},
    {DataKind::kFashionMnist, GEN_DATA_OPTIONS(NoDataOptions), load_mnist_layout, open_image_source, true,
     "configs/classifier_fashion_mnist.yaml"},
    {DataKind::kIdx, GEN_DATA_OPTIONS(IdxOptions), load_idx_files, open_image_source, false, nullptr},
    {DataKind::kImageFolder, GEN_DATA_OPTIONS(ImageFolderOptions), load_image_folder_kind, open_image_source, false,
     nullptr},
    {DataKind::kText, GEN_DATA_OPTIONS(TextOptions), nullptr, open_text_source, true, nullptr},
};
#undef GEN_DATA_OPTIONS
}  // namespace

const DataKindInfo& data_kind_info(DataKind kind) { return enum_row(kKinds, kind, &DataKindInfo::kind); }

void resolve_data_options(Config& config, ForeignKeys foreign) {
  const DataKindInfo& info = data_kind_info(config.data.kind);
  const YAML::Node& given = config.data.options;
  YAML::Node kept(YAML::NodeType::Map);  // the same value nodes (with their file positions), less the others'
  if (foreign == ForeignKeys::kDrop && given.IsMap()) {
    const std::vector<std::string> own = info.option_names();
    auto foreign_key = [&](const std::string& key) {
      if (std::find(own.begin(), own.end(), key) != own.end()) return false;
      for (const DataKindInfo& other : kKinds) {
        const std::vector<std::string> theirs = other.option_names();
        if (std::find(theirs.begin(), theirs.end(), key) != theirs.end()) return true;
      }
      return false;
    };
    for (const auto& kv : given) {
      if (!foreign_key(kv.first.Scalar())) kept[kv.first.Scalar()] = kv.second;
    }
  }
  // (yaml-cpp's Node::operator= writes through to the node it refers to: a new Node, not reassignment.)
  YAML::Node resolved = info.resolve_options(config.data, foreign == ForeignKeys::kDrop ? kept : given, &config.source);
  config.data.options.reset(resolved);
}

Checkpoint open_checkpoint_resolved(const std::string& path, torch::Device device) {
  Checkpoint ckpt = open_checkpoint(path, device);
  resolve_data_options(ckpt.config, ForeignKeys::kDrop);
  return ckpt;
}

std::unique_ptr<DataSource> open_data_source(const Config& config, torch::Device device) {
  return data_kind_info(config.data.kind).open(config, device);
}

}  // namespace gen
