// Quality figures of images that are files (gen sample --format files, another tool's PNGs,
// a diffusers pipeline's output): FID/KID/IS/coverage in a feature network's space, as gen eval
// gives a checkpoint, against a folder of reference images or the network's own held-out split.
#pragma once

#include <cstdint>
#include <string>

#include "eval/feature_net.h"
#include "eval/report.h"

namespace gen {

struct ImageFilesRequest {
  std::string images;     // folder of PNG/JPEG files (read recursively, in path order)
  std::string reference;  // folder of reference images; "" = the feature network's held-out split
  std::string data_root;  // that split's data.root when not the one the network was trained from
  int64_t max_images = 0;  // the first N images; 0 = all; either reference takes as many as there are images
  uint64_t seed = 0;      // KID's subsets
};

// Throws DataError for a folder without readable images (naming it and the file).
EvalReport image_files_report(FeatureNet& net, const ImageFilesRequest& request);

}  // namespace gen
