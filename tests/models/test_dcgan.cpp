#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "config/config.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "models/spectral_conv.h"
#include "support/temp_dir.h"
#include "util/errors.h"

namespace {
gen::Config dcgan_config(int64_t latent, int64_t g, int64_t d) {
  gen::Config c = gen::parse_config("model: {kind: dcgan, latent_dim: " + std::to_string(latent) +
                                        ", g_channels: " + std::to_string(g) + ", d_channels: " + std::to_string(d) +
                                        "}\ntrain: {n_samples: 4}\n",
                                    "test");
  gen::resolve_model_options(c);
  return c;
}

void flatten(torch::serialize::InputArchive& a, const std::string& prefix, std::map<std::string, torch::Tensor>& out) {
  for (const auto& key : a.keys()) {
    torch::Tensor t;
    torch::serialize::InputArchive sub;
    if (a.try_read(key, t)) {
      out[prefix + key] = t.clone();
    } else if (a.try_read(key, sub)) {
      flatten(sub, prefix + key + ".", out);
    }
  }
}

// The model's state as a checkpoint holds it, read back.
torch::serialize::InputArchive saved(gen::GenerativeModel& m) {
  torch::serialize::OutputArchive a;
  m.save(a);
  std::ostringstream s;
  a.save_to(s);
  std::istringstream is(s.str());
  torch::serialize::InputArchive in;
  in.load_from(is);
  return in;
}

// Every tensor of a network's saved state, by dotted name.
std::map<std::string, torch::Tensor> snapshot(gen::GenerativeModel& m, const std::string& net) {
  torch::serialize::InputArchive in = saved(m);
  torch::serialize::InputArchive sub;
  in.read(net, sub);
  std::map<std::string, torch::Tensor> out;
  flatten(sub, "", out);
  return out;
}

bool any_changed(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  REQUIRE(!a.empty());
  bool changed = false;
  for (const auto& [k, v] : a) changed |= !torch::equal(v, b.at(k));
  return changed;
}
}  // namespace

TEST_CASE("dcgan: the 64 px reference has the published parameter counts", "[model]") {
  torch::manual_seed(0);
  const gen::Config c = dcgan_config(100, 64, 64);
  auto model = gen::build_model(c, gen::DataSpec::image(1, 64, 64, 10), torch::kCPU);
  const auto counts = model->parameter_counts();
  REQUIRE(counts.size() == 2);
  CHECK(counts[0] == std::make_pair(std::string("generator"), int64_t(3574656)));
  CHECK(counts[1] == std::make_pair(std::string("discriminator"), int64_t(2763520)));
}

TEST_CASE("dcgan: samples have the data's shape for every power-of-two size", "[model]") {
  for (int64_t size : {16, 32, 64}) {
    for (int64_t channels : {1, 3}) {
      torch::manual_seed(0);
      auto model = gen::build_model(dcgan_config(8, 8, 8), gen::DataSpec::image(channels, size, size, 0), torch::kCPU);
      gen::SampleRequest r;
      r.n = 5;
      const torch::Tensor x = model->sample(r).images;
      CHECK(x.sizes() == torch::IntArrayRef({5, channels, size, size}));
      CHECK(x.min().item<float>() >= -1.0f);
      CHECK(x.max().item<float>() <= 1.0f);
    }
  }
}

TEST_CASE("dcgan: image sizes that are not a power of two >= 16 are a config error", "[model]") {
  const gen::Config c = dcgan_config(8, 8, 8);
  CHECK_THROWS_WITH(gen::build_model(c, gen::DataSpec::image(1, 28, 28, 0), torch::kCPU),
                    Catch::Contains("power of two >= 16") && Catch::Contains("data.image_size"));
  CHECK_THROWS_AS(gen::build_model(c, gen::DataSpec::image(1, 8, 8, 0), torch::kCPU), gen::ConfigError);
}

namespace {
std::vector<std::string> metric_names(const gen::StepResult& r) {
  std::vector<std::string> names;
  for (const gen::Metric& m : r.metrics) {
    names.push_back(m.name);
    CHECK(std::isfinite(m.value.item<double>()));
  }
  return names;
}
}  // namespace

TEST_CASE("dcgan: a train step returns finite metrics and moves both networks", "[model]") {
  torch::manual_seed(1);
  auto model = gen::build_model(dcgan_config(8, 8, 8), gen::DataSpec::image(1, 16, 16, 0), torch::kCPU);
  const auto g0 = snapshot(*model, "generator"), d0 = snapshot(*model, "discriminator");
  gen::Batch batch{torch::rand({8, 1, 16, 16}) * 2 - 1, {}};
  CHECK(metric_names(model->train_step(batch)) == std::vector<std::string>{"loss_d", "loss_g", "d_real", "d_fake"});
  CHECK(any_changed(g0, snapshot(*model, "generator")));
  CHECK(any_changed(d0, snapshot(*model, "discriminator")));
}

TEST_CASE("dcgan: the discriminator learns to separate a fixed real batch from noise", "[model]") {
  torch::manual_seed(2);
  auto model = gen::build_model(dcgan_config(8, 8, 8), gen::DataSpec::image(1, 16, 16, 0), torch::kCPU);
  gen::Batch batch{torch::ones({16, 1, 16, 16}) * 0.8, {}};
  const double first = model->train_step(batch).metrics[0].value.item<double>();
  double last = first;
  for (int i = 0; i < 10; ++i) last = model->train_step(batch).metrics[0].value.item<double>();
  CHECK(last < first);
}

TEST_CASE("dcgan: sampling is a function of the seed", "[model]") {
  torch::manual_seed(3);
  auto model = gen::build_model(dcgan_config(8, 8, 8), gen::DataSpec::image(1, 16, 16, 0), torch::kCPU);
  gen::SampleRequest r;
  r.n = 4;
  r.seed = 11;
  const torch::Tensor a = model->sample(r).images;
  const torch::Tensor b = model->sample(r).images;
  r.seed = 12;
  const torch::Tensor c = model->sample(r).images;
  CHECK(torch::equal(a, b));
  CHECK_FALSE(torch::equal(a, c));
  r.fixed_noise = true;
  CHECK(torch::equal(model->sample(r).images, model->sample(r).images));
}

namespace {
gen::Config variant(const std::string& opts, const std::string& extra = "") {
  gen::Config c = gen::parse_config("model: {kind: dcgan, latent_dim: 8, g_channels: 8, d_channels: 8, " + opts +
                                        "}\n" + "data: {batch_size: 8}\ntrain: {n_samples: 4}\n" + extra,
                                    "test");
  gen::resolve_model_options(c);
  return c;
}

}  // namespace

TEST_CASE("dcgan variants: hinge and wgan-gp (with n_critic and augmentation) take finite steps", "[model]") {
  torch::manual_seed(4);
  const gen::Batch batch{torch::rand({8, 1, 16, 16}) * 2 - 1, torch::arange(8, torch::kInt64).remainder(2)};
  auto hinge = gen::build_model(variant("loss: hinge"), gen::DataSpec::image(1, 16, 16), torch::kCPU);
  CHECK(metric_names(hinge->train_step(batch)) == std::vector<std::string>{"loss_d", "loss_g", "d_real", "d_fake"});
  auto wgan =
      gen::build_model(variant("loss: wgan-gp, n_critic: 2, augment: {hflip: true, translate_px: 2, noise_std: 0.05}"),
                       gen::DataSpec::image(1, 16, 16), torch::kCPU);
  const auto names = metric_names(wgan->train_step(batch));
  CHECK(names == std::vector<std::string>{"loss_d", "loss_g", "d_real", "d_fake",
                                          "gp"});  // losses first, then D's outputs, then the penalty
}

TEST_CASE("dcgan variants: a spectrally normalised D trains, and its singular vectors are saved and restored",
          "[model]") {
  torch::manual_seed(6);
  const gen::Batch batch{torch::rand({8, 1, 16, 16}) * 2 - 1, {}};
  const auto spec = gen::DataSpec::image(1, 16, 16);
  auto sn = gen::build_model(variant("loss: hinge, d_norm: spectral"), spec, torch::kCPU);
  const auto d0 = snapshot(*sn, "discriminator");
  REQUIRE(d0.count("net.0.u") == 1);
  REQUIRE(d0.count("head.u") == 1);
  CHECK(metric_names(sn->train_step(batch)) == std::vector<std::string>{"loss_d", "loss_g", "d_real", "d_fake"});
  const auto d1 = snapshot(*sn, "discriminator");
  CHECK(!torch::equal(d0.at("net.0.u"), d1.at("net.0.u")));  // the power iteration advanced

  torch::manual_seed(7);
  auto restored = gen::build_model(variant("loss: hinge, d_norm: spectral"), spec, torch::kCPU);
  torch::serialize::InputArchive in = saved(*sn);
  restored->load(in);
  const auto d2 = snapshot(*restored, "discriminator");
  for (const auto& [k, v] : d1) CHECK(torch::equal(v, d2.at(k)));
}

TEST_CASE("spectral conv: training forwards drive the largest singular value of the used weight to 1", "[model]") {
  torch::manual_seed(5);
  gen::SpectralConv2d conv(3, 8, 4, 2, 1);
  const torch::Tensor x = torch::randn({2, 3, 8, 8});
  auto top_singular = [](const torch::Tensor& w) {
    return at::linalg_svdvals(w.detach().flatten(1))[0].item<double>();
  };
  CHECK(top_singular(conv->weight) < 0.5);  // N(0, 0.02) init: far from 1
  for (int i = 0; i < 30; ++i) conv->forward(x);
  CHECK(top_singular(conv->normalized_weight()) == Approx(1.0).epsilon(1e-3));

  // The output is the plain convolution with that weight, and gradients reach the raw weight.
  const torch::Tensor y = conv->forward(x);
  CHECK(y.sizes() == torch::IntArrayRef({2, 8, 4, 4}));
  y.sum().backward();
  REQUIRE(conv->weight.grad().defined());
  CHECK(torch::isfinite(conv->weight.grad()).all().item<bool>());

  // Evaluation leaves the estimate alone.
  conv->eval();
  const torch::Tensor u = conv->u.clone();
  conv->forward(x);
  CHECK(torch::equal(u, conv->u));
}

TEST_CASE("dcgan variants: the R1 penalty adds gamma/2 * E||grad_x D(x)||^2 to D's loss", "[model]") {
  const gen::Batch batch{torch::rand({8, 1, 16, 16}) * 2 - 1, {}};
  const auto spec = gen::DataSpec::image(1, 16, 16);
  auto step_metrics = [&](const std::string& opts) {
    torch::manual_seed(8);  // same weights and the same noise for both models
    auto model = gen::build_model(variant(opts), spec, torch::kCPU);
    std::map<std::string, double> out;
    for (const gen::Metric& m : model->train_step(batch).metrics) out[m.name] = m.value.item<double>();
    return out;
  };
  const auto plain = step_metrics("loss: bce"), penalised = step_metrics("loss: bce, r1: 4");
  CHECK(plain.count("r1") == 0);
  REQUIRE(penalised.count("r1") == 1);
  CHECK(penalised.at("r1") > 0);
  CHECK(penalised.at("d_real") == Approx(plain.at("d_real")));  // the penalty does not change D's forward
  CHECK(penalised.at("loss_d") == Approx(plain.at("loss_d") + 0.5 * 4 * penalised.at("r1")).epsilon(1e-5));
}

TEST_CASE("dcgan variants: lazy R1 applies the penalty every N-th step, N times as strong", "[model]") {
  const gen::Batch batch{torch::rand({8, 1, 16, 16}) * 2 - 1, {}};
  const auto spec = gen::DataSpec::image(1, 16, 16);
  auto run = [&](const std::string& opts, std::vector<int64_t> steps) {
    torch::manual_seed(8);
    auto model = gen::build_model(variant(opts), spec, torch::kCPU);
    std::vector<std::map<std::string, double>> out;
    for (int64_t s : steps) {
      model->begin_step(s, 2e-4);
      out.emplace_back();
      for (const gen::Metric& m : model->train_step(batch).metrics) out.back()[m.name] = m.value.item<double>();
    }
    return out;
  };
  const auto plain = run("loss: bce", {0}), lazy = run("loss: bce, r1: 4, r1_every: 3", {0});
  CHECK(lazy[0].at("loss_d") == Approx(plain[0].at("loss_d") + 0.5 * 4 * 3 * lazy[0].at("r1")).epsilon(1e-5));
  // Resumed at step 4: steps 4 and 5 neither measure nor report it (a resumed run trains as a
  // straight one would), step 6 does.
  const auto resumed = run("loss: bce, r1: 4, r1_every: 3", {4, 5, 6});
  CHECK(resumed[0].count("r1") == 0);
  CHECK(resumed[1].count("r1") == 0);
  REQUIRE(resumed[2].count("r1") == 1);
  CHECK(resumed[2].at("r1") > 0);
}

TEST_CASE("dcgan variants: invalid combinations are config errors", "[model]") {
  const auto spec = gen::DataSpec::image(1, 16, 16);
  CHECK_THROWS_WITH(gen::build_model(variant("loss: wgan-gp, d_norm: batch"), spec, torch::kCPU),
                    Catch::Contains("model.d_norm"));
  CHECK_THROWS_WITH(gen::build_model(variant("n_critic: 3"), spec, torch::kCPU),
                    Catch::Contains("must divide data.batch_size"));
  CHECK_THROWS_WITH(gen::build_model(variant("conditional: true"), spec, torch::kCPU),
                    Catch::Contains("labelled data"));
  CHECK_THROWS_WITH(gen::build_model(variant("loss: wgan-gp, d_norm: layer, r1: 1"), spec, torch::kCPU),
                    Catch::Contains("model.r1"));
}

namespace {
// Without --class one value (class or code) per row; with it that value only, and another
// value draws other images from the same noise.
void check_sample_layout(gen::GenerativeModel& m, int64_t values) {
  gen::SampleRequest r;
  r.n = 2 * values + values / 2;
  const gen::SampleOutput all = m.sample(r);
  CHECK(all.nrow == 2);
  CHECK(all.images.size(0) == 2 * values);  // rounded down to whole rows
  r.label = values - 1;
  r.seed = 1;
  const torch::Tensor last = m.sample(r).images;
  CHECK(last.size(0) == r.n);
  r.label = 0;
  CHECK_FALSE(torch::equal(m.sample(r).images, last));
  r.label = values;
  CHECK_THROWS_AS(m.sample(r), gen::UsageError);
}
}  // namespace

TEST_CASE("dcgan conditional: samples one class, or one class per row", "[model]") {
  torch::manual_seed(5);
  auto m = gen::build_model(variant("conditional: true"), gen::DataSpec::image(1, 16, 16, 10), torch::kCPU);
  const gen::Batch batch{torch::rand({8, 1, 16, 16}) * 2 - 1, torch::arange(8, torch::kInt64)};
  metric_names(m->train_step(batch));
  check_sample_layout(*m, 10);
}

TEST_CASE("dcgan latent codes: D's head and G learn to agree on the code", "[model]") {
  torch::manual_seed(6);
  auto m = gen::build_model(variant("latent_codes: 4", "optim: {lr: 0.002, betas: [0.5, 0.99]}\n"),
                            gen::DataSpec::image(1, 16, 16), torch::kCPU);
  const gen::Batch batch{torch::rand({8, 1, 16, 16}) * 2 - 1, {}};
  auto code_ce = [&] {
    const gen::StepResult result = m->train_step(batch);
    CHECK(metric_names(result) == std::vector<std::string>{"loss_d", "loss_g", "d_real", "d_fake", "code_ce"});
    return result.metrics.back().value.item<double>();
  };
  const double first = code_ce();
  CHECK(first == Approx(std::log(4.0)).margin(0.3));  // chance at the start
  double last = first;
  for (int i = 0; i < 40; ++i) last = code_ce();
  CHECK(last < 0.5 * first);
}

TEST_CASE("dcgan latent codes: samples one code, or one code per row, without labels", "[model]") {
  torch::manual_seed(7);
  auto m = gen::build_model(variant("latent_codes: 5"), gen::DataSpec::image(1, 16, 16), torch::kCPU);
  check_sample_layout(*m, 5);
  gen::SampleRequest r;
  r.label = 5;
  CHECK_THROWS_WITH(m->sample(r), Catch::Contains("latent_codes"));
  CHECK_THROWS_WITH(
      gen::build_model(variant("latent_codes: 5, conditional: true"), gen::DataSpec::image(1, 16, 16, 10), torch::kCPU),
      Catch::Contains("model.latent_codes"));
}
