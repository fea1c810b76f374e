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
#include "core/sample.h"

namespace gen {

class GenerativeModel;

// The real side of every comparison, computed once.
struct ImageReference {
  FeatureNet::Result real;  // features and class probabilities of the real images
  FeatureStats stats;
};

struct ImageFigures {
  int64_t n = 0;
  double class_accuracy = -1;  // fraction of samples the feature network puts in the class asked for; -1 = none asked
  double fid = 0;
  KidResult kid;
  InceptionScore is;
  ClassCoverage coverage;
};

// The first `max_images` (0 = all) images of a split as the data source gives them, (N, C, H, W)
// in [-1, 1] on the CPU.
torch::Tensor split_images(DataSource& data, EvalSplit split, int64_t max_images);

ImageReference image_reference(FeatureNet& net, DataSource& data, EvalSplit split, int64_t max_images);

struct GeneratedImages {
  torch::Tensor images;  // (N, C, H, W) in [-1, 1], CPU
  torch::Tensor labels;  // (N) int64: the class each was drawn for, or undefined (SampleOutput::labels)
};

// n images from the model's default (prior) sample mode in chunks, reproducible for a seed, in
// random order; `sampler` as in SampleRequest (diffusion models). Logs how many are drawn, at
// most once per `log_every_s` seconds, while the draw goes on.
GeneratedImages generate_images(GenerativeModel& model, int64_t n, uint64_t seed, bool use_ema,
                                const SamplerRequest& sampler = {}, double log_every_s = 30);

// `labels`: the classes the samples were asked for (class accuracy), or undefined.
ImageFigures image_figures(const FeatureNet::Result& samples, const ImageReference& reference, uint64_t seed,
                           const torch::Tensor& labels = {});

}  // namespace gen
