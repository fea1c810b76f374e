#include "eval/feature_net.h"

#include <spdlog/spdlog.h>

#include "config/config.h"
#include "data/data_registry.h"
#include "models/capabilities.h"
#include "models/generative_model.h"
#include "models/model_checkpoint.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/rng_scope.h"

namespace gen {

namespace F = torch::nn::functional;

FeatureNet::FeatureNet(const std::string& checkpoint_path, torch::Device device)
    : path_(checkpoint_path), device_(device) {
  Checkpoint ckpt = open_checkpoint(checkpoint_path, device);
  {
    // Building the network draws initial weights from the global generator; a run that loads a
    // feature net must train exactly as one that does not.
    RandomStateScope keep;
    model_ = build_model(ckpt.config, ckpt.data, device);
  }
  classifier_ = model_->classifier();
  if (!classifier_) {
    throw UsageError(checkpoint_path +
                     ": a feature network must be a model.kind classifier checkpoint, this one is model.kind " +
                     ckpt.config.model.kind);
  }
  load_model_state(ckpt, *model_);
  spec_ = ckpt.data;
  config_ = std::make_unique<Config>(ckpt.config);
  step_ = ckpt.step;
  // Named after the data set when gen ships its classifier config, else after the run.
  const DataKind kind = ckpt.config.data.kind;
  name_ = (data_kind_info(kind).classifier_config ? enum_name(kind) : ckpt.config.name) + "_cnn";
}

FeatureNet::~FeatureNet() = default;

FeatureNet::Result FeatureNet::run(const torch::Tensor& images) {
  if (images.size(1) != spec_.shape.channels) {
    throw UsageError(path_ + ": the feature network takes " + std::to_string(spec_.shape.channels) +
                     "-channel images, these have " + std::to_string(images.size(1)));
  }
  constexpr int64_t kBatch = 500;
  std::vector<torch::Tensor> features, probs;
  for (int64_t i = 0; i < images.size(0); i += kBatch) {
    torch::Tensor x = images.narrow(0, i, std::min(kBatch, images.size(0) - i)).to(device_, torch::kFloat);
    if (x.size(2) != spec_.shape.height || x.size(3) != spec_.shape.width) {
      const bool down = x.size(2) > spec_.shape.height;
      auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{spec_.shape.height, spec_.shape.width});
      x = down ? F::interpolate(x, options.mode(torch::kArea))
               : F::interpolate(x, options.mode(torch::kBilinear).align_corners(false));
    }
    const ImageClassifier::Output out = classifier_->classify(x);
    features.push_back(out.features.to(torch::kCPU));
    probs.push_back(torch::softmax(out.logits, 1).to(torch::kCPU));
  }
  return {torch::cat(features), torch::cat(probs)};
}

std::string find_feature_net(const Config& config, const std::string& explicit_path) {
  std::string path = explicit_path.empty() ? config.eval.features : explicit_path;
  const char* shipped = data_kind_info(config.data.kind).classifier_config;
  const std::string train_hint = shipped ? shipped : "configs/classifier_mnist.yaml";
  if (path.empty() || path == "auto") {
    path = config.out_dir + "/classifier_" + enum_name(config.data.kind) + "/checkpoints/latest.pt";
    if (!target_exists(path)) {
      // Data without a shipped classifier config (an image folder): the classifier is the
      // user's to train on the same data, which takes labels from class sub-folders.
      const std::string how = shipped ? "train one with `gen train " + train_hint + "`"
                                      : "train `model.kind: classifier` on this data (its labels come from class "
                                        "sub-folders; without them no classifier can be trained)";
      throw UsageError("image figures need a feature network and " + path + " does not exist: " + how +
                       ", then pass --features CKPT or set eval.features");
    }
  } else if (!target_exists(path)) {
    throw UsageError(path + ": feature network checkpoint not found (train one with `gen train " + train_hint + "`)");
  }
  return path;
}

}  // namespace gen
