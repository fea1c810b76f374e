// Every data kind in one table: how it is read, and what the rest of gen needs to know of it.
// Adding a kind is its name in DataKind (config/config.h), its reader, and one row here.
#pragma once

#include <memory>

#include <torch/torch.h>

#include "config/config.h"
#include "data/image_dataset.h"

namespace gen {

class DataSource;

struct DataKindInfo {
  DataKind kind;
  // Images: reads the configured split (resizing comes after); null for a non-image kind.
  ImageDataset (*load_images)(const DataConfig& data);
  // The source itself: images through ImageSource, text through TextSource.
  std::unique_ptr<DataSource> (*open)(const Config& config, torch::Device device);
  bool held_out_split;  // the other split (MNIST's t10k) exists for evaluation
  // The config that trains the feature network for this data's image figures, or null when
  // none ships with gen (the network is then named after the run that trained it).
  const char* classifier_config;
};

const DataKindInfo& data_kind_info(DataKind kind);

}  // namespace gen
