// How the image figures draw their samples.
#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "eval/image_figures.h"
#include "models/generative_model.h"

namespace {

// Lays each request out like a conditional DCGAN: one class per row, rows in class order. Every
// pixel of an image holds its class.
class ClassRowsModel final : public gen::GenerativeModel {
 public:
  void begin_step(int64_t, double) override {}
  gen::StepResult train_step(const gen::Batch&) override { return {}; }
  gen::SampleOutput sample(const gen::SampleRequest& request) override {
    const int64_t nrow = std::max<int64_t>(1, request.n / 10);
    const torch::Tensor y = torch::arange(nrow * 10, torch::kInt64).div(nrow, "floor");
    return {y.to(torch::kFloat).view({-1, 1, 1, 1}).expand({-1, 1, 2, 2}).contiguous(), nrow, "", {}, y};
  }
  void save(torch::serialize::OutputArchive&) override {}
  void load(torch::serialize::InputArchive&) override {}
  std::vector<std::pair<std::string, int64_t>> parameter_counts() const override { return {}; }
  std::vector<gen::ExportedNetwork> exported_networks(bool) override { return {}; }
};

}  // namespace

TEST_CASE("generate_images: a model that samples class by class still gives every IS split all classes", "[eval]") {
  ClassRowsModel model;
  const gen::GeneratedImages drawn = gen::generate_images(model, 2000, 7, true);
  const torch::Tensor& x = drawn.images;
  REQUIRE(x.size(0) == 2000);
  const torch::Tensor classes = x.select(1, 0).select(1, 0).select(1, 0).to(torch::kInt64);
  CHECK(torch::equal(drawn.labels, classes));  // the asked classes are shuffled with their images
  CHECK(torch::equal(torch::bincount(classes), torch::full({10}, 200, torch::kInt64)));
  for (int64_t split = 0; split < 10; ++split) {  // inception_score's 10 splits of 200
    const torch::Tensor counts = torch::bincount(classes.narrow(0, split * 200, 200), {}, 10);
    INFO("split " << split << " class counts " << counts);
    CHECK(counts.min().item<int64_t>() >= 5);  // in class order it would hold 4 classes only
  }
  CHECK(torch::equal(gen::generate_images(model, 2000, 7, true).images, x));        // reproducible for a seed
  CHECK_FALSE(torch::equal(gen::generate_images(model, 2000, 8, true).images, x));  // and differs across seeds
}

TEST_CASE("generate_images: says how far a long draw has got", "[eval]") {
  ClassRowsModel model;
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  sink->set_pattern("%v");
  // The sink writes into `log`: it must leave the global logger even when a call throws.
  struct Attached {
    std::shared_ptr<spdlog::sinks::sink> sink;
    spdlog::level::level_enum level = spdlog::get_level();  // another test may have lowered it
    ~Attached() {
      auto& sinks = spdlog::default_logger()->sinks();
      sinks.erase(std::find(sinks.begin(), sinks.end(), sink));
      spdlog::set_level(level);
    }
  } attached{sink};
  spdlog::default_logger()->sinks().push_back(sink);
  spdlog::set_level(spdlog::level::info);
  gen::generate_images(model, 1200, 7, true, {}, /*log_every_s=*/0);  // chunks of 500: 500, 1000, 1200
  gen::generate_images(model, 1200, 7, true);                         // quick: within 30 s, nothing said
  const std::string text = log.str();
  INFO(text);
  CHECK(text.find("drawing samples: 500/1200 (") != std::string::npos);
  CHECK(text.find("drawing samples: 1000/1200 (") != std::string::npos);
  CHECK(text.find("eta ") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);  // not after the last chunk, nor for the quick draw
}
