#include <catch2/catch.hpp>

#include "config/config.h"
#include "models/capabilities.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "util/errors.h"

namespace {
gen::Config classifier_config(const std::string& model = "") {
  gen::Config c = gen::parse_config(
      "model: {kind: classifier, channels: 4, features: 16" + model + "}\noptim: {lr: 0.003, betas: [0.9, 0.999]}\n",
      "test");
  gen::resolve_model_options(c);
  return c;
}
}  // namespace

TEST_CASE("classifier: features and logits have the configured sizes, it draws no samples", "[model]") {
  torch::manual_seed(0);
  auto m = gen::build_model(classifier_config(), gen::DataSpec::image(1, 28, 28, 10), torch::kCPU);
  auto* c = dynamic_cast<gen::ImageClassifier*>(m.get());
  REQUIRE(c);
  CHECK(c->num_classes() == 10);
  const auto out = c->classify(torch::rand({3, 1, 28, 28}) * 2 - 1);
  CHECK(out.features.sizes() == torch::IntArrayRef({3, 16}));
  CHECK(out.logits.sizes() == torch::IntArrayRef({3, 10}));
  CHECK(m->sample_modes().empty());
  // 4 -> 4 -> 8 -> 8 conv channels (no biases, BN), 8*7*7 -> 16 -> 10.
  const int64_t convs = 9 * (1 * 4 + 4 * 4 + 4 * 8 + 8 * 8), norms = 2 * (4 + 4 + 8 + 8);
  CHECK(m->parameter_counts()[0].second == convs + norms + (8 * 7 * 7 * 16 + 16) + (16 * 10 + 10));
}

TEST_CASE("classifier: steps on a fixed batch drive the loss down and the accuracy up", "[model]") {
  torch::manual_seed(1);
  auto m = gen::build_model(classifier_config(", dropout: 0"), gen::DataSpec::image(1, 8, 8, 3), torch::kCPU);
  const gen::Batch batch{torch::rand({24, 1, 8, 8}) * 2 - 1, torch::arange(24, torch::kInt64).remainder(3)};
  const double before = m->evaluate(batch)[0].value.item<double>();
  for (int i = 0; i < 40; ++i) {
    m->begin_step(i, 0.003);
    m->train_step(batch);
  }
  const auto after = m->evaluate(batch);
  CHECK(after[0].name == "loss");
  CHECK(after[0].value.item<double>() < 0.5 * before);
  CHECK(after[1].name == "acc");
  CHECK(after[1].value.item<double>() == 1.0);
}

TEST_CASE("classifier: unlabelled or text data is a ConfigError naming what it needs", "[model]") {
  CHECK_THROWS_AS(gen::build_model(classifier_config(), gen::DataSpec::image(1, 28, 28, 0), torch::kCPU),
                  gen::ConfigError);
  CHECK_THROWS_WITH(gen::build_model(classifier_config(), gen::DataSpec::image(1, 28, 28, 0), torch::kCPU),
                    Catch::Contains("labelled"));
  CHECK_THROWS_WITH(gen::build_model(classifier_config(), gen::DataSpec::image(1, 30, 30, 10), torch::kCPU),
                    Catch::Contains("divisible by 4"));
}
