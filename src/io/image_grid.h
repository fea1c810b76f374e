// Sample grids: a batch of images in [-1, 1] laid out row by row with padding, as an 8-bit
// OpenCV image, and written as PNG.
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "io/image_file.h"

namespace gen {

struct GridLayout {
  int64_t nrow = 0;     // images per row; 0 = ceil(sqrt(N))
  int64_t padding = 2;  // pixels between images and around the edge
  int pad_value = 0;    // 0..255
  // One per row: drawn in a margin left of the row (the class or latent code a row shows).
  std::vector<std::string> row_labels;
};

// Whether make_grid can draw images with this many channels (1 or 3).
inline bool grid_can_draw(int64_t channels) { return channels == 1 || channels == 3; }

// (N, C, H, W) float in [-1, 1] (C = 1 or 3, RGB) -> CV_8UC1 or CV_8UC3 (BGR, as OpenCV writes).
// Values outside [-1, 1] are clamped.
cv::Mat make_grid(const torch::Tensor& images, const GridLayout& layout = {});

}  // namespace gen
