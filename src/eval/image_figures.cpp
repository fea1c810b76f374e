#include "eval/image_figures.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "data/data_source.h"
#include "models/generative_model.h"
#include "util/progress_line.h"

namespace gen {

torch::Tensor split_images(DataSource& data, EvalSplit split, int64_t max_images) {
  std::vector<torch::Tensor> parts;
  int64_t n = 0;
  const int64_t batches = data.eval_batch_count(split);
  for (int64_t i = 0; i < batches && (max_images <= 0 || n < max_images); ++i) {
    torch::Tensor x = data.eval_batch(split, i).x;
    if (max_images > 0) x = x.narrow(0, 0, std::min(x.size(0), max_images - n));
    parts.push_back(x.to(torch::kCPU));
    n += x.size(0);
  }
  return parts.empty() ? torch::Tensor() : torch::cat(parts);
}

ImageReference image_reference(FeatureNet& net, DataSource& data, EvalSplit split, int64_t max_images) {
  ImageReference r;
  r.real = net.run(split_images(data, split, max_images));
  r.stats = feature_stats(r.real.features);
  return r;
}

GeneratedImages generate_images(GenerativeModel& model, int64_t n, uint64_t seed, bool use_ema,
                                const SamplerRequest& sampler, double log_every_s) {
  constexpr int64_t kChunk = 500;
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  const Clock::time_point t0 = Clock::now();
  Clock::time_point logged = t0;
  std::vector<torch::Tensor> parts, labels;
  int64_t have = 0;
  for (uint64_t chunk = 0; have < n; ++chunk) {
    SampleRequest request;
    request.n = std::min(kChunk, n - have);
    request.seed = seed * 1'000'003ULL + chunk;
    request.use_ema = use_ema;
    request.sampler = sampler;
    const SampleOutput out = model.sample(request);  // a conditional model may round n to whole class rows
    const int64_t keep = std::min(out.images.size(0), n - have);
    parts.push_back(out.images.narrow(0, 0, keep));
    if (out.labels.defined()) labels.push_back(out.labels.narrow(0, 0, keep));
    have += keep;
    if (have < n && seconds_since(logged) >= log_every_s) {  // a diffusion model's 10000 take minutes
      const double s = seconds_since(t0);
      spdlog::info("drawing samples: {}/{} ({:.1f}/s, eta {})", have, n, double(have) / s,
                   duration_text(double(n - have) * s / double(have)));
      logged = Clock::now();
    }
  }
  // The figures take the images as independent draws (each Inception Score split must see the
  // classes in proportion), but a conditional model lays a chunk out class by class.
  const torch::Tensor images = torch::cat(parts);
  auto gen = at::detail::createCPUGenerator(seed);
  const torch::Tensor order = torch::randperm(images.size(0), gen, torch::kInt64);
  GeneratedImages out{images.index_select(0, order), {}};
  if (labels.size() == parts.size()) out.labels = torch::cat(labels).index_select(0, order);
  return out;
}

ImageFigures image_figures(const FeatureNet::Result& samples, const ImageReference& reference, uint64_t seed,
                           const torch::Tensor& labels) {
  ImageFigures f;
  f.n = samples.features.size(0);
  if (labels.defined() && labels.size(0) == f.n) {
    f.class_accuracy = samples.probs.argmax(1).eq(labels.to(samples.probs.device())).to(torch::kDouble).mean().item<double>();
  }
  f.fid = frechet_distance(feature_stats(samples.features), reference.stats);
  f.kid = kernel_distance(samples.features, reference.real.features, /*subsets=*/50, /*subset_size=*/1000, seed);
  f.is = inception_score(samples.probs, std::min<int64_t>(10, f.n));
  f.coverage = class_coverage(samples.probs);
  return f;
}

}  // namespace gen
