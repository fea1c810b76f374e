#include "io/image_grid.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "util/errors.h"
#include "util/fs.h"

namespace gen {

namespace {

void write_image(const std::string& path, const cv::Mat& mat, const std::string& encoding) {
  std::vector<uchar> bytes;
  if (!cv::imencode(encoding, mat, bytes)) throw IoError(path + ": " + encoding + " encoding failed");
  write_file_atomic(path, [&](const WriteFn& write) { write(bytes.data(), bytes.size()); });
}

}  // namespace

namespace {

// Row labels in OpenCV's plain Hershey font, sized to the tile height (readable from 16 px up).
double label_scale(int64_t tile_height) { return std::clamp(double(tile_height) / 28.0, 0.6, 2.0); }

int64_t label_margin(const std::vector<std::string>& labels, int64_t tile_height) {
  int width = 0, baseline = 0;
  for (const std::string& label : labels) {
    width = std::max(width, cv::getTextSize(label, cv::FONT_HERSHEY_PLAIN, label_scale(tile_height), 1, &baseline).width);
  }
  return labels.empty() ? 0 : width + 6;
}

void draw_row_labels(cv::Mat& grid, const std::vector<std::string>& labels, int64_t rows, int64_t h, int64_t pad) {
  const double scale = label_scale(h);
  for (int64_t r = 0; r < rows && r < int64_t(labels.size()); ++r) {
    int baseline = 0;
    const cv::Size size = cv::getTextSize(labels[size_t(r)], cv::FONT_HERSHEY_PLAIN, scale, 1, &baseline);
    const int y = static_cast<int>(pad + r * (h + pad) + (h + size.height) / 2);
    cv::putText(grid, labels[size_t(r)], cv::Point(3, y), cv::FONT_HERSHEY_PLAIN, scale, cv::Scalar::all(255), 1,
                cv::LINE_AA);
  }
}

}  // namespace

cv::Mat make_grid(const torch::Tensor& images, const GridLayout& layout) {
  TORCH_CHECK(images.dim() == 4, "make_grid expects (N, C, H, W), got ", images.sizes());
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  TORCH_CHECK(grid_can_draw(c), "make_grid expects 1 or 3 channels, got ", c);
  const int64_t nrow =
      layout.nrow > 0 ? std::min(layout.nrow, n) : static_cast<int64_t>(std::ceil(std::sqrt(double(n))));
  const int64_t rows = (n + nrow - 1) / nrow;
  const int64_t pad = layout.padding;
  // [-1, 1] -> [0, 255] with rounding, as (N, H, W, C) uint8.
  const torch::Tensor pixels = images.detach()
                                   .to(torch::kCPU, torch::kFloat)
                                   .clamp(-1, 1)
                                   .add(1)
                                   .mul(127.5)
                                   .round()
                                   .to(torch::kUInt8)
                                   .permute({0, 2, 3, 1})
                                   .contiguous();
  const int type = c == 1 ? CV_8UC1 : CV_8UC3;
  const int64_t margin = label_margin(layout.row_labels, h);
  cv::Mat grid(static_cast<int>(rows * (h + pad) + pad), static_cast<int>(margin + nrow * (w + pad) + pad), type,
               cv::Scalar::all(layout.pad_value));
  draw_row_labels(grid, layout.row_labels, rows, h, pad);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = i / nrow, col = i % nrow;
    cv::Mat tile(static_cast<int>(h), static_cast<int>(w), type, const_cast<uint8_t*>(pixels[i].data_ptr<uint8_t>()));
    cv::Mat dst = grid(cv::Rect(static_cast<int>(margin + pad + col * (w + pad)), static_cast<int>(pad + r * (h + pad)),
                                static_cast<int>(w), static_cast<int>(h)));
    if (c == 3) {
      cv::cvtColor(tile, dst, cv::COLOR_RGB2BGR);
    } else {
      tile.copyTo(dst);
    }
  }
  return grid;
}

void write_png(const std::string& path, const cv::Mat& mat) { write_image(path, mat, ".png"); }

std::string encode_png(const cv::Mat& mat) {
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", mat, bytes)) throw IoError("png encoding failed");
  return std::string(bytes.begin(), bytes.end());
}

std::string image_encoding(const std::string& path) {
  const size_t dot = path.rfind('.');
  // No dot in the file name, or only the leading one of a hidden file: no extension.
  if (dot == std::string::npos || dot == 0 || path[dot - 1] == '/' || path.find('/', dot) != std::string::npos) {
    return "";
  }
  std::string ext = path.substr(dot);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".png") return ".png";
  if (ext == ".jpg" || ext == ".jpeg") return ".jpg";
  return "";
}

void write_image(const std::string& path, const cv::Mat& mat) {
  const std::string encoding = image_encoding(path);
  if (encoding.empty()) throw IoError(path + ": unknown image format (name it .png or .jpg)");
  write_image(path, mat, encoding);
}

}  // namespace gen
