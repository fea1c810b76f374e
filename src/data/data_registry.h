// Every data kind in one table: its own keys, how it is read, and what the rest of gen needs to
// know of it. Adding a kind is its name in DataKind (config/config.h), its options struct
// (data/data_options.h), its reader, and one row here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "config/config.h"
#include "data/image_dataset.h"
#include "io/checkpoint.h"

namespace gen {

class DataSource;

struct DataKindInfo {
  DataKind kind;
  // Its own keys under `data`: checked and returned with every default filled in (ConfigError).
  YAML::Node (*resolve_options)(const DataConfig& data, const YAML::Node& raw, const ConfigSource* source);
  std::vector<std::string> (*option_names)();
  std::vector<std::string> (*key_lines)();  // for gen config keys
  YAML::Node (*key_docs)();                  // key -> help, for a commented config.yaml
  // Images: reads the configured split (resizing comes after); null for a non-image kind.
  ImageDataset (*load_images)(const DataConfig& data);
  // The source itself: images through ImageSource, text through TextSource.
  std::unique_ptr<DataSource> (*open)(const Config& config, torch::Device device);
  bool held_out_split;  // the other split (MNIST's t10k, an image folder's val_fraction) may exist for evaluation
  // The config that trains the feature network for this data's image figures, or null when
  // none ships with gen (the network is then named after the run that trained it).
  const char* classifier_config;
};

const DataKindInfo& data_kind_info(DataKind kind);

// What to do with keys another kind has, in a config that has them (checkpoints written before
// each kind had its own keys hold every kind's keys with their defaults).
enum class ForeignKeys { kRefuse, kDrop };

// Replaces config.data.options by the kind's resolved options (all defaults filled in).
// Throws ConfigError naming the key and where it was given.
void resolve_data_options(Config& config, ForeignKeys foreign = ForeignKeys::kRefuse);

// open_checkpoint, with the embedded config's data options resolved as above (ForeignKeys::kDrop:
// older checkpoints hold every kind's keys). What reads a checkpoint's data config opens it so.
Checkpoint open_checkpoint_resolved(const std::string& path, torch::Device device);

}  // namespace gen
