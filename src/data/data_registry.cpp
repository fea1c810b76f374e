#include "data/data_registry.h"

#include <algorithm>

#include "data/data_options.h"
#include "data/data_source.h"

namespace gen {

std::unique_ptr<DataSource> open_image_source(const Config& config, torch::Device device);
std::unique_ptr<DataSource> open_text_source(const Config& config, torch::Device device);
std::unique_ptr<DataSource> open_token_source(const Config& config, torch::Device device);

namespace {
// In DataKind order.
#define GEN_DATA_OPTIONS(Options) \
  resolve_data_options_as<Options>, data_option_names<Options>, data_option_lines<Options>, options_help<Options>
const DataKindInfo kKinds[] = {
    {DataKind::kMnist, GEN_DATA_OPTIONS(NoDataOptions), load_mnist_layout, open_image_source, true,
     "configs/classifier_mnist.yaml"},
    {DataKind::kFashionMnist, GEN_DATA_OPTIONS(NoDataOptions), load_mnist_layout, open_image_source, true,
     "configs/classifier_fashion_mnist.yaml"},
    {DataKind::kIdx, GEN_DATA_OPTIONS(IdxOptions), load_idx_files, open_image_source, false, nullptr},
    {DataKind::kImageFolder, GEN_DATA_OPTIONS(ImageFolderOptions), load_image_folder_kind, open_image_source, true,
     nullptr},
    {DataKind::kText, GEN_DATA_OPTIONS(TextOptions), nullptr, open_text_source, true, nullptr},
    {DataKind::kTokens, GEN_DATA_OPTIONS(TokensOptions), nullptr, open_token_source, true, nullptr},
};
#undef GEN_DATA_OPTIONS
}  // namespace

const DataKindInfo& data_kind_info(DataKind kind) { return enum_row(kKinds, kind, &DataKindInfo::kind); }

namespace {

// The kind other than `kind` whose own key `key` is, if any.
const DataKindInfo* other_kind_with(const std::string& key, DataKind kind) {
  for (const DataKindInfo& other : kKinds) {
    const std::vector<std::string> names = other.option_names();
    if (other.kind != kind && std::find(names.begin(), names.end(), key) != names.end()) return &other;
  }
  return nullptr;
}

}  // namespace

void resolve_data_options(Config& config, ForeignKeys foreign) {
  const DataKindInfo& info = data_kind_info(config.data.kind);
  const std::vector<std::string> own = info.option_names();
  YAML::Node kept(YAML::NodeType::Map);  // the same value nodes (with their file positions), less the others'
  if (config.data.options.IsMap()) {
    for (const auto& kv : config.data.options) {
      const std::string key = kv.first.Scalar();
      const DataKindInfo* other =
          std::find(own.begin(), own.end(), key) == own.end() ? other_kind_with(key, info.kind) : nullptr;
      if (other && foreign == ForeignKeys::kRefuse) {
        throw ConfigError(describe_location(&config.source, kv.second, "data." + key) + ": data." + key +
                          ": a key of data.kind " + enum_name(other->kind) + ", not of data.kind " +
                          enum_name(info.kind));
      }
      if (!other) kept[key] = kv.second;
    }
  }
  // (A new node, not an assignment: yaml-cpp's Node::operator= writes through to the node it refers to.)
  YAML::Node resolved = info.resolve_options(config.data, kept, &config.source);
  config.data.options.reset(resolved);
  config.data.option_docs = info.key_docs();
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
