// Images to files and bytes (OpenCV, torch-free): PNG/JPEG by the path's extension, written
// atomically. io/image_grid.h lays tensors out as such images.
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace gen {

// Writes MAT as PNG atomically; throws IoError.
void write_png(const std::string& path, const cv::Mat& mat);
// MAT as the bytes of a PNG file; throws IoError.
std::string encode_png(const cv::Mat& mat);

// The encoding PATH's extension asks for: ".png" or ".jpg" (.jpeg, any case), "" for another.
std::string image_encoding(const std::string& path);
// Writes MAT atomically in the encoding of PATH's extension (image_encoding must know it); throws IoError.
void write_image(const std::string& path, const cv::Mat& mat);

}  // namespace gen
