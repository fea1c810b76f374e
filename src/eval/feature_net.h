// The classifier that image figures are measured with, loaded from its own checkpoint. Its
// name (e.g. "mnist_cnn") labels every figure it produces -- fid_mnist_cnn is not an
// Inception FID, and nobody should compare the two.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "core/data_spec.h"

namespace gen {

class GenerativeModel;
class ImageClassifier;
struct Config;

class FeatureNet {
 public:
  // Throws CheckpointError, or UsageError when the checkpoint is not a classifier's.
  FeatureNet(const std::string& checkpoint_path, torch::Device device);
  ~FeatureNet();

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  int64_t step() const { return step_; }
  int64_t channels() const { return spec_.shape.channels; }  // of the images it takes
  int64_t image_size() const { return spec_.shape.height; }  // its input's height (= width)
  // The config the classifier was trained with: its data is the held-out split files are scored against.
  const Config& training_config() const { return *config_; }

  struct Result {
    torch::Tensor features;  // (N, D) float, CPU
    torch::Tensor probs;     // (N, K) float, CPU
  };
  // images: (N, C, H, W) in [-1, 1] at any size; resized to the classifier's input size
  // (area averaging down, bilinear up) and run in batches.
  Result run(const torch::Tensor& images);

 private:
  std::string path_, name_;
  int64_t step_ = 0;
  DataSpec spec_;
  std::unique_ptr<Config> config_;
  torch::Device device_;
  std::unique_ptr<GenerativeModel> model_;
  ImageClassifier* classifier_ = nullptr;
};

// Where the feature net of `config` is: `explicit_path` (--features) if given, else
// eval.features, where "auto" means out_dir/classifier_<data.kind>/checkpoints/latest.pt.
// Throws UsageError naming the command that trains one when there is no such file.
std::string find_feature_net(const Config& config, const std::string& explicit_path);

}  // namespace gen
