// Sample-quality figures of an image generator, measured against real held-out images in the
// feature space of gen's own classifier: FID, KID, classifier Inception Score, class coverage.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "data/data_source.h"
#include "eval/class_scores.h"
#include "eval/distances.h"
#include "eval/feature_net.h"

namespace gen {

class GenerativeModel;

// The real side of every comparison, computed once.
struct ImageReference {
  FeatureNet::Result real;  // features and class probabilities of the real images
  FeatureStats stats;
};

struct ImageFigures {
  int64_t n = 0;
  double fid = 0;
  KidResult kid;
  InceptionScore is;
  ClassCoverage coverage;
};

// The first `max_images` (0 = all) images of a split as the data source gives them, (N, C, H, W)
// in [-1, 1] on the CPU.
torch::Tensor split_images(DataSource& data, EvalSplit split, int64_t max_images);

ImageReference image_reference(FeatureNet& net, DataSource& data, EvalSplit split, int64_t max_images);

// n images from the model's default (prior) sample mode in chunks, reproducible for a seed, in
// random order.
torch::Tensor generate_images(GenerativeModel& model, int64_t n, uint64_t seed, bool use_ema);

ImageFigures image_figures(const FeatureNet::Result& samples, const ImageReference& reference, uint64_t seed);

}  // namespace gen
