#include "eval/quality.h"

#include <cmath>

#include "data/data_source.h"
#include "eval/held_out.h"
#include "eval/likelihood.h"
#include "models/capabilities.h"
#include "models/generative_model.h"

namespace gen {

QualityEvaluator::QualityEvaluator(GenerativeModel& model, DataSource& data, std::unique_ptr<FeatureNet> features)
    : model_(model), data_(data), features_(std::move(features)) {}

QualityEvaluator::~QualityEvaluator() = default;

EvalReport QualityEvaluator::run(const QualityBudget& budget) {
  EvalReport report;
  const bool text = data_.spec().is_text();
  for (const auto& [name, value, better] : held_out_means(data_, model_, EvalSplit::kVal, budget.max_batches)) {
    const char* what = !text                ? "held-out split, mean per example"
                       : name == "val_bpb" ? "held-out split, bits per byte of text (comparable across tokenizers)"
                                           : "held-out split, mean per token";
    report.add(name, value, what, better);
    if (text && name == "val_loss") report.add("val_perplexity", std::exp(value), "exp(val_loss)");
  }
  if (LikelihoodModel* lm = model_.likelihood(); lm && budget.iw_samples > 0) {
    const LikelihoodFigures f = likelihood_figures(data_, *lm, budget.iw_samples, budget.iw_examples, budget.seed);
    const std::string over = std::to_string(f.examples) + " held-out examples, K=" + std::to_string(f.k);
    report.add("val_nll_iwae", f.nll_iwae, "-log p(x) upper bound (IWAE), nats per example, " + over);
    report.add("val_neg_elbo_mc", f.neg_elbo, "-ELBO from the same samples, nats per example");
    report.add("val_bits_per_dim", f.bits_per_dim, "val_nll_iwae / (dimensions * ln 2)");
  }
  if (features_ && model_.draws_images()) add_image_figures(budget, report);
  return report;
}

void QualityEvaluator::add_image_figures(const QualityBudget& budget, EvalReport& report) {
  const std::string tag = features_->name();
  auto it = references_.find(budget.samples);
  if (it == references_.end()) {
    it = references_.emplace(budget.samples, image_reference(*features_, data_, EvalSplit::kVal, budget.samples)).first;
  }
  const ImageReference& ref = it->second;
  if (ref.real.features.size(0) < 2) return;  // no held-out images to compare with
  const GeneratedImages drawn = generate_images(model_, budget.samples, budget.seed, budget.use_ema, budget.sampler);
  const FeatureNet::Result samples = features_->run(drawn.images);
  const ImageFigures f = image_figures(samples, ref, budget.seed, drawn.labels);
  add_image_figure_rows(report, f, tag,
                        std::to_string(f.n) + " samples vs " + std::to_string(ref.real.features.size(0)) +
                            " held-out images");

  if (!budget.real_baseline) return;
  auto base = baselines_.find(budget.samples);
  if (base == baselines_.end()) {
    EvalReport b;
    const torch::Tensor train = split_images(data_, EvalSplit::kTrain, budget.samples);
    const ImageFigures r = image_figures(features_->run(train), ref, budget.seed);
    const std::string rvs = std::to_string(r.n) + " training images vs the same held-out images (the floor)";
    b.add("real_fid_" + tag, r.fid, "Frechet distance, " + rvs, Better::kNeither);
    b.add("real_kid_" + tag, r.kid.mean, "kernel distance, " + rvs, Better::kNeither);
    b.add("real_is_" + tag, inception_score(ref.real.probs, std::min<int64_t>(10, ref.real.probs.size(0))).mean,
          "classifier Inception Score of the held-out images (the ceiling)", Better::kNeither);
    base = baselines_.emplace(budget.samples, std::move(b)).first;
  }
  for (const Figure& fig : base->second.figures) report.figures.push_back(fig);
}

void add_image_figure_rows(EvalReport& report, const ImageFigures& f, const std::string& tag, const std::string& vs) {
  report.add("fid_" + tag, f.fid, "Frechet distance in " + tag + " features, " + vs + " (lower is better)");
  report.add("kid_" + tag, f.kid.mean, "kernel distance (cubic kernel) in " + tag + " features, mean of 50 subsets");
  report.add("kid_" + tag + "_std", f.kid.std, "its standard deviation over the subsets", Better::kNeither);
  report.add("is_" + tag, f.is.mean, "classifier Inception Score, 10 splits (1 to the class count; higher is better)",
             Better::kHigher);
  report.add("is_" + tag + "_std", f.is.std, "its standard deviation over the splits", Better::kNeither);
  report.add("class_coverage", f.coverage.covered, "fraction of classes given >= 10% of their uniform share of samples",
             Better::kHigher);
  report.add("class_kl_uniform", f.coverage.kl_to_uniform, "KL(class histogram of samples || uniform), nats");
  if (f.class_accuracy >= 0) {
    report.add("class_accuracy", f.class_accuracy,
               "fraction of samples " + tag + " classifies as the class they were drawn for", Better::kHigher);
  }
}

}  // namespace gen
