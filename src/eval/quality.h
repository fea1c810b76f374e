// A family's quality figures, chosen by what the model can do: every family's held-out
// metrics; the likelihood bounds of a LikelihoodModel; FID/KID/IS/coverage of a model that
// draws images, when a feature network is given. Used by `gen eval` and by the trainer
// (train.eval_every) with a smaller budget.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "eval/feature_net.h"
#include "eval/image_figures.h"
#include "eval/report.h"

namespace gen {

class DataSource;
class GenerativeModel;

struct QualityBudget {
  int64_t samples = 10000;    // generated images, and real images on the other side of each comparison
  int64_t iw_samples = 1000;  // importance samples per example for the IWAE bound; 0 = skip it
  int64_t iw_examples = 0;    // held-out examples the IWAE bound covers; 0 = the whole split
  bool real_baseline = true;  // also the real-vs-real figures (train split vs held-out split)
  uint64_t seed = 0;
  bool use_ema = true;
  int64_t max_batches = 0;  // held-out metrics over the first N batches; 0 = the whole split
  SamplerRequest sampler;   // diffusion models: how the images are drawn (the model's own settings when unset)
};

class QualityEvaluator {
 public:
  // `features` may be null: no image figures then.
  QualityEvaluator(GenerativeModel& model, DataSource& data, std::unique_ptr<FeatureNet> features);
  ~QualityEvaluator();

  const FeatureNet* features() const { return features_.get(); }

  EvalReport run(const QualityBudget& budget);

 private:
  void add_image_figures(const QualityBudget& budget, EvalReport& report);

  GenerativeModel& model_;
  DataSource& data_;
  std::unique_ptr<FeatureNet> features_;
  std::map<int64_t, ImageReference> references_;  // by image count
  std::map<int64_t, EvalReport> baselines_;       // real-vs-real figures by image count
};

// The rows of image figures measured with the feature network `tag` ("mnist_cnn"): fid_TAG,
// kid_TAG, is_TAG, class coverage (and class accuracy when asked classes); `vs` says what was
// compared ("2000 samples vs 2000 held-out images").
void add_image_figure_rows(EvalReport& report, const ImageFigures& f, const std::string& tag, const std::string& vs);

}  // namespace gen
