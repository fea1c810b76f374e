#include "data/image_dataset.h"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "config/config.h"
#include "data/data_options.h"
#include "data/data_registry.h"
#include "data/idx_file.h"
#include "io/image_grid.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/memory.h"

namespace gen {

namespace {

// N images of C x SIZE x SIZE bytes must fit in the memory left (with room for one more copy,
// which resizing and the move to the device make); else one line saying what to change.
void check_memory_for(int64_t n, int64_t c, int64_t size, const std::string& origin) {
  const uint64_t need = 2 * uint64_t(n) * uint64_t(c) * uint64_t(size) * uint64_t(size);
  if (const std::string short_of = memory_shortfall(need); !short_of.empty()) {
    throw DataError(origin + ": " + std::to_string(n) + " images at data.image_size " + std::to_string(size) + " " +
                    short_of + " (use a smaller data.image_size or fewer images)");
  }
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// MNIST-layout folders may hold the official .gz files or their unpacked twins.
std::string find_mnist_file(const std::string& root, const std::string& stem) {
  for (const std::string& candidate : {root + "/" + stem + ".gz", root + "/" + stem}) {
    if (file_exists(candidate)) return candidate;
  }
  throw DataError(root + "/" + stem + ".gz: file not found (run " + get_data_command("") + ", or set data.root)");
}

// Resized once to data.image_size when one is set.
ImageDataset sized(ImageDataset set, const DataConfig& data) {
  if (data.image_size > 0) {
    const int64_t n = set.images.size(0), c = set.images.size(1);
    check_memory_for(n, c, data.image_size, set.origin);
    set.images = resize_images(set.images, data.image_size);
  }
  return set;
}

}  // namespace

ImageDataset load_mnist_layout(const DataConfig& data) {
  const std::string prefix = data.split == Split::kTrain ? "train" : "t10k";
  const std::string images = find_mnist_file(data.root, prefix + "-images-idx3-ubyte");
  const std::string labels = find_mnist_file(data.root, prefix + "-labels-idx1-ubyte");
  return sized(image_dataset_from_idx(images, labels), data);
}

ImageDataset load_idx_files(const DataConfig& data) {
  const auto o = data_options<IdxOptions>(data);
  return sized(image_dataset_from_idx(data.root + "/" + o.images, o.labels.empty() ? "" : data.root + "/" + o.labels),
               data);
}

ImageDataset image_dataset_from_idx(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  const auto& d = images.dims;
  ImageDataset out;
  if (d.size() == 3) {  // (N, H, W)
    out.images = torch::from_blob(images.data.data(), {d[0], 1, d[1], d[2]}, torch::kUInt8).clone();
  } else if (d.size() == 4) {  // (N, H, W, C), the layout of colour IDX exports
    out.images = torch::from_blob(images.data.data(), {d[0], d[1], d[2], d[3]}, torch::kUInt8)
                     .permute({0, 3, 1, 2})
                     .contiguous();
  } else {
    throw DataError(images_path + ": expected an image file with 3 or 4 dimensions, got " + std::to_string(d.size()));
  }
  out.origin = images_path;
  if (!labels_path.empty()) {
    IdxArray labels = read_idx(labels_path);
    if (labels.dims.size() != 1 || labels.dims[0] != d[0]) {
      throw DataError(labels_path + ": expected " + std::to_string(d[0]) + " labels to match " + images_path +
                      ", got a file of shape " + std::to_string(labels.dims[0]) +
                      (labels.dims.size() > 1 ? "x..." : ""));
    }
    out.labels = torch::from_blob(labels.data.data(), {d[0]}, torch::kUInt8).to(torch::kInt64);
    out.num_classes = out.labels.max().item<int64_t>() + 1;
  }
  return out;
}

torch::Tensor resize_images(const torch::Tensor& images, int64_t size) {
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  if (h == size && w == size) return images;
  // OpenCV wants (H, W, C) per image.
  torch::Tensor hwc = images.permute({0, 2, 3, 1}).contiguous();
  torch::Tensor out = torch::empty({n, size, size, c}, torch::kUInt8);
  const int interp = (size < h || size < w) ? cv::INTER_AREA : cv::INTER_LINEAR;
  const int type = CV_8UC(static_cast<int>(c));
  for (int64_t i = 0; i < n; ++i) {
    cv::Mat src(static_cast<int>(h), static_cast<int>(w), type, hwc[i].data_ptr<uint8_t>());
    cv::Mat dst(static_cast<int>(size), static_cast<int>(size), type, out[i].data_ptr<uint8_t>());
    cv::resize(src, dst, dst.size(), 0, 0, interp);
  }
  return out.permute({0, 3, 1, 2}).contiguous();
}

namespace {

// The PNG and JPEG files under ROOT (relative paths, sorted). A folder that cannot be read may
// be a whole class: it is never dropped without a word, and fails the load when `strict`.
std::vector<std::string> image_files(const std::string& root, bool strict) {
  if (!is_directory(root)) throw DataError(root + ": not a folder (data.root of an image_folder)");
  std::vector<std::string> files;
  std::vector<std::string> unreadable;
  try {
    for (std::string& f : list_files_recursive(root, &unreadable)) {
      if (!image_encoding(f).empty()) files.push_back(std::move(f));
    }
  } catch (const IoError& e) {
    throw DataError(e.what());
  }
  for (const std::string& folder : unreadable) {
    if (strict) throw DataError(folder + ": cannot read folder (data.strict is on)");
    spdlog::warn("{}: cannot read folder, its images are left out", folder);
  }
  return files;
}

}  // namespace

bool in_val_split(const std::string& relative_path, double val_fraction) {
  if (val_fraction <= 0) return false;
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64, salted so the split is gen's own
  for (const char c : std::string("gen-val-split:") + relative_path) h = (h ^ uint8_t(c)) * 0x100000001b3ull;
  return double(h >> 11) * 0x1.0p-53 < val_fraction;
}

ImageDataset load_image_folder(const std::string& root, int64_t size, int64_t channels, bool strict,
                               double val_fraction, Split split) {
  const std::vector<std::string> all = image_files(root, strict);  // relative to root
  std::vector<std::string> files;
  for (const std::string& f : all) {
    if (in_val_split(f, val_fraction) == (split == Split::kTest)) files.push_back(f);
  }
  if (files.empty() && !all.empty()) {
    throw DataError(root + ": no images in the " + (split == Split::kTest ? "held-out" : "training") +
                    " split (data.val_fraction " + fmt::format("{}", val_fraction) + " of " +
                    std::to_string(all.size()) + " images)");
  }
  check_memory_for(int64_t(files.size()), channels, size, root);

  // First-level sub-folder -> class id, when images live in sub-folders.
  std::map<std::string, int64_t> classes;
  auto class_of = [](const std::string& rel) {
    const size_t slash = rel.find('/');
    return slash == std::string::npos ? std::string() : rel.substr(0, slash);
  };
  for (const auto& f : all) {  // both splits: a class id must not depend on which split is read
    const std::string c = class_of(f);
    if (!c.empty()) classes.emplace(c, 0);
  }
  int64_t next = 0;
  for (auto& kv : classes) kv.second = next++;

  const int mode = channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR;
  const int s = static_cast<int>(size);
  std::vector<cv::Mat> images;
  std::vector<int64_t> labels;
  int64_t skipped = 0;
  for (const auto& rel : files) {
    const std::string f = root + "/" + rel;
    cv::Mat img = cv::imread(f, mode);
    if (img.empty()) {
      if (strict) throw DataError(f + ": cannot decode image (data.strict is on)");
      spdlog::warn("{}: cannot decode image, skipped", f);
      ++skipped;
      continue;
    }
    if (channels == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
    // Shorter side to `size`, then the central size x size square.
    const double scale = double(s) / double(std::min(img.rows, img.cols));
    const int w = std::max(s, int(std::lround(img.cols * scale))), h = std::max(s, int(std::lround(img.rows * scale)));
    cv::resize(img, img, cv::Size(w, h), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    images.push_back(img(cv::Rect((w - s) / 2, (h - s) / 2, s, s)).clone());
    const std::string c = class_of(rel);
    labels.push_back(c.empty() ? -1 : classes[c]);
  }
  if (images.empty()) {
    throw DataError(root + ": no readable PNG or JPEG images" +
                    (skipped ? " (" + std::to_string(skipped) + " unreadable)" : ""));
  }
  const auto n = static_cast<int64_t>(images.size());
  ImageDataset out;
  torch::Tensor hwc = torch::empty({n, size, size, channels}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(hwc[i].data_ptr<uint8_t>(), images[size_t(i)].data, size_t(size * size * channels));
  }
  out.images = hwc.permute({0, 3, 1, 2}).contiguous();
  const bool labelled = !classes.empty() && std::none_of(labels.begin(), labels.end(), [](int64_t l) { return l < 0; });
  if (labelled) {
    out.labels = torch::tensor(labels, torch::kInt64);
    out.num_classes = static_cast<int64_t>(classes.size());
  } else if (!classes.empty()) {
    spdlog::warn("{}: some images are not in a class sub-folder; training without labels", root);
  }
  out.origin = root + " (" + std::to_string(n) + " images" +
               (val_fraction > 0 ? std::string(split == Split::kTest ? " held out" : " for training") : "") +
               (skipped ? ", " + std::to_string(skipped) + " skipped" : "") +
               (labelled ? ", " + std::to_string(out.num_classes) + " classes" : "") + ")";
  return out;
}

ImageDataset load_image_folder_kind(const DataConfig& data) {
  const auto o = data_options<ImageFolderOptions>(data);
  return load_image_folder(data.root, data.image_size, o.channels, o.strict, o.val_fraction, data.split);
}

ImageDataset load_image_dataset(const DataConfig& data) {
  const DataKindInfo& info = data_kind_info(data.kind);
  if (!info.load_images) throw ConfigError("data.kind: '" + enum_name(data.kind) + "' is not an image data kind");
  return info.load_images(data);
}

}  // namespace gen
