// An image data set held in memory as one uint8 tensor, loaded by `data.kind`.
#pragma once

#include <torch/torch.h>

#include <string>

#include "config/config.h"

namespace gen {

struct DataConfig;

struct ImageDataset {
  torch::Tensor images;  // (N, C, H, W) uint8
  torch::Tensor labels;  // (N) int64, or undefined when the source has none
  int64_t num_classes = 0;
  std::string origin;  // what was read, for the log
};

// Loads by data.kind (the image kinds of data/data_registry.h) at data.image_size.
// Throws DataError naming the file and the problem.
ImageDataset load_image_dataset(const DataConfig& data);

// The readers of the image kinds, each at data.image_size (0 = as stored).
ImageDataset load_mnist_layout(const DataConfig& data);  // mnist, fashion_mnist: root/{train,t10k}-*-idx?-ubyte[.gz]
ImageDataset load_idx_files(const DataConfig& data);     // idx: root/images (+ root/labels)
ImageDataset load_image_folder_kind(const DataConfig& data);  // image_folder, see load_image_folder

// Resizes every image to size x size with OpenCV (area filter when shrinking).
torch::Tensor resize_images(const torch::Tensor& images, int64_t size);

// Every PNG/JPEG under ROOT (recursively, in sorted path order); first-level sub-folder names,
// sorted, become class labels when there are any. Each image is resized so its shorter side is
// `size`, then center-cropped to size x size, as 1 (grayscale) or 3 (RGB) channels. Unreadable
// files are skipped with a warning naming them, or throw DataError when `strict`.
// `val_fraction` > 0 holds out the images whose relative path hashes below it (in_val_split):
// `split` kTrain reads the others, kTest those. Class labels come from all sub-folders either way.
ImageDataset load_image_folder(const std::string& root, int64_t size, int64_t channels, bool strict,
                               double val_fraction = 0.0, Split split = Split::kTrain);

// Whether the image at `relative_path` (inside an image folder) belongs to the held-out split:
// a fixed 64-bit FNV-1a hash of the path, mapped to [0, 1), below `val_fraction`.
bool in_val_split(const std::string& relative_path, double val_fraction);

// Builds a data set from IDX image and (optional) label files.
ImageDataset image_dataset_from_idx(const std::string& images_path, const std::string& labels_path);

}  // namespace gen
