#include "eval/image_files.h"

#include "config/config.h"
#include "data/data_source.h"
#include "data/image_dataset.h"
#include "eval/image_figures.h"
#include "eval/quality.h"
#include "util/errors.h"

namespace gen {

namespace {

// The folder's images at the network's input size and channels, in [-1, 1].
torch::Tensor read_images(const FeatureNet& net, const std::string& folder, const char* flag, int64_t max_images) {
  const ImageDataset d = load_image_folder(folder, net.image_size(), net.channels(), /*strict=*/true);
  if (d.images.size(0) < 2) {
    throw DataError(std::string(flag) + " " + folder + ": " + std::to_string(d.images.size(0)) +
                    " image(s); FID and KID need at least 2");
  }
  torch::Tensor x = d.images;
  if (max_images > 0 && x.size(0) > max_images) x = x.narrow(0, 0, max_images);
  return x.to(torch::kFloat).mul_(2.0 / 255.0).sub_(1.0);
}

}  // namespace

EvalReport image_files_report(FeatureNet& net, const ImageFilesRequest& request) {
  const torch::Tensor images = read_images(net, request.images, "--images", request.max_images);
  const int64_t n = images.size(0);
  ImageReference ref;
  std::string against;
  if (!request.reference.empty()) {
    ref.real = net.run(read_images(net, request.reference, "--reference", n));  // as many as there are images
    against = request.reference;
  } else {
    Config config = net.training_config();
    if (!request.data_root.empty()) config.data.root = request.data_root;
    config.train.eval_batches = 0;
    const auto data = open_data_source(config, torch::kCPU);
    ref.real = net.run(split_images(*data, EvalSplit::kVal, n));
    against = "held-out images of " + config.data.root;
  }
  ref.stats = feature_stats(ref.real.features);
  const ImageFigures f = image_figures(net.run(images), ref, request.seed);
  EvalReport report;
  add_image_figure_rows(report, f, net.name(),
                        std::to_string(f.n) + " images of " + request.images + " vs " +
                            std::to_string(ref.real.features.size(0)) + " " + against);
  return report;
}

}  // namespace gen
