#include <catch2/catch.hpp>

#include "config/config.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "util/errors.h"

namespace {
gen::Config vae_config(const std::string& model, const std::string& extra = "") {
  gen::Config c = gen::parse_config("model: {kind: vae, " + model + "}\n" + extra, "test");
  gen::resolve_model_options(c);
  return c;
}
}  // namespace

TEST_CASE("vae: the MLP reference 784-400-20 has 652,824 parameters", "[model]") {
  auto m = gen::build_model(vae_config("arch: mlp, hidden: 400, latent_dim: 20"), gen::DataSpec::image(1, 28, 28),
                            torch::kCPU);
  CHECK(m->parameter_counts()[0].second == 652824);
  // A learned Gaussian scale is one more parameter; a fixed one is not a parameter.
  auto learned = gen::build_model(vae_config("arch: mlp, likelihood: gaussian, learn_scale: true"),
                                  gen::DataSpec::image(1, 28, 28), torch::kCPU);
  CHECK(learned->parameter_counts()[0].second == 652825);
  auto fixed = gen::build_model(vae_config("arch: mlp, likelihood: gaussian, learn_scale: false"),
                                gen::DataSpec::image(1, 28, 28), torch::kCPU);
  CHECK(fixed->parameter_counts()[0].second == 652824);
}

TEST_CASE("vae: every sample mode lays out images of the data's shape", "[model]") {
  torch::manual_seed(0);
  auto m = gen::build_model(vae_config("arch: conv, channels: 4, hidden: 16, latent_dim: 3"),
                            gen::DataSpec::image(1, 28, 28), torch::kCPU);
  std::vector<std::string> modes;
  for (const gen::SampleMode mode : m->sample_modes()) modes.push_back(gen::enum_name(mode));
  CHECK(modes == std::vector<std::string>{"prior", "recon", "interp"});
  gen::SampleRequest r;
  r.n = 5;
  gen::SampleOutput out = m->sample(r);
  CHECK(out.images.sizes() == torch::IntArrayRef({5, 1, 28, 28}));
  CHECK(out.images.min().item<float>() >= -1.0f);

  r.mode = gen::SampleMode::kRecon;
  r.n = 10;
  r.inputs = torch::rand({10, 1, 28, 28}) * 2 - 1;
  out = m->sample(r);
  CHECK(out.nrow == 8);
  CHECK(out.images.size(0) == 32);  // 8 inputs, 8 recons, 2 inputs + 6 blanks, 2 recons + 6 blanks
  CHECK(out.images[31].max().item<float>() == -1.0f);
  CHECK(torch::allclose(out.images[0], r.inputs[0], 1e-5, 1e-5));   // first row: the inputs
  CHECK(torch::allclose(out.images[16], r.inputs[8], 1e-5, 1e-5));  // third row starts with input 8

  r.mode = gen::SampleMode::kInterp;
  r.inputs = torch::rand({6, 1, 28, 28}) * 2 - 1;
  out = m->sample(r);
  CHECK(out.nrow == 10);
  CHECK(out.images.sizes() == torch::IntArrayRef({30, 1, 28, 28}));
}

TEST_CASE("vae: training on a fixed batch lowers the negative ELBO, it splits into recon + KL", "[model]") {
  for (const char* arch : {"mlp", "conv"}) {
    INFO(arch);
    torch::manual_seed(1);
    auto m = gen::build_model(vae_config(std::string("arch: ") + arch + ", channels: 4, hidden: 32, latent_dim: 4",
                                         "optim: {lr: 0.003, betas: [0.9, 0.999]}\n"),
                              gen::DataSpec::image(1, 16, 16), torch::kCPU);
    const gen::Batch batch{(torch::rand({16, 1, 16, 16}) > 0.7).to(torch::kFloat) * 2 - 1, {}};
    const auto before = m->evaluate(batch);
    REQUIRE(before.size() == 3);
    CHECK(before[0].value.item<double>() == Approx(before[1].value.item<double>() + before[2].value.item<double>()));
    for (int i = 0; i < 40; ++i) {
      m->begin_step(i, 0.003);
      m->train_step(batch);
    }
    CHECK(m->evaluate(batch)[0].value.item<double>() < before[0].value.item<double>() - 10);
  }
}

TEST_CASE("vae: conv needs sides divisible by 4, text data is refused", "[model]") {
  CHECK_THROWS_WITH(gen::build_model(vae_config("arch: conv"), gen::DataSpec::image(1, 30, 30), torch::kCPU),
                    Catch::Contains("divisible by 4"));
  gen::DataSpec text;
  text.text.tokenizer = "char";
  text.text.vocab_size = 3;
  CHECK_THROWS_AS(gen::build_model(vae_config("arch: mlp"), text, torch::kCPU), gen::ConfigError);
}
