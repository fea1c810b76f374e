// The family-specific figures: the IWAE bound of a VAE and the full-split loss of a language model.
#include <catch2/catch.hpp>

#include <cmath>

#include "config/config.h"
#include "core/tokenizer.h"
#include "data/data_source.h"
#include "eval/held_out.h"
#include "models/capabilities.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "support/temp_dir.h"

using gen::test::TempDir;

TEST_CASE("iwae: the bound is >= the ELBO of the same samples, equal at K = 1, and tighter with more samples",
          "[eval]") {
  gen::Config c =
      gen::parse_config("model: {kind: vae, arch: mlp, hidden: 32, latent_dim: 4, binarize: dynamic}\n", "test");
  gen::resolve_model_options(c);
  torch::manual_seed(2);
  auto model = gen::build_model(c, gen::DataSpec::image(1, 8, 8), torch::kCPU);
  auto* lm = dynamic_cast<gen::LikelihoodModel*>(model.get());
  REQUIRE(lm);
  CHECK(lm->data_dims() == 64);
  const torch::Tensor x = torch::rand({12, 1, 8, 8}) * 2 - 1;

  auto g1 = at::detail::createCPUGenerator(1);
  const auto k1 = lm->log_likelihood_bounds(x, 1, g1);
  CHECK(k1.iwae.sizes() == torch::IntArrayRef({12}));
  CHECK(torch::allclose(k1.iwae, k1.elbo, 1e-9, 1e-9));

  auto g2 = at::detail::createCPUGenerator(1);
  const auto k = lm->log_likelihood_bounds(x, 500, g2);  // 500 x 12 > one decoding chunk: exercises chunking
  CHECK((k.iwae >= k.elbo).all().item<bool>());
  CHECK((k.iwae - k.elbo).min().item<double>() > 0.01);
  // ELBO estimates agree in expectation; the K=500 bound is higher than the K=1 one on average.
  CHECK(k.iwae.mean().item<double>() > k1.iwae.mean().item<double>());
  // Reproducible for a seed.
  auto g3 = at::detail::createCPUGenerator(1);
  CHECK(torch::equal(lm->log_likelihood_bounds(x, 500, g3).iwae, k.iwae));
}

TEST_CASE("lm eval: the full-split loss equals the token-weighted mean of every window's loss, the short tail included",
          "[eval]") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 30; ++i) text += "to be or not to be, that is the question. ";
  gen::test::write_text(dir / "t.txt", text);
  gen::Config c = gen::parse_config(
      "model: {kind: transformer, n_layer: 1, n_head: 2, n_embd: 16}\n"
      "data: {kind: text, file: t.txt, block_size: 16, batch_size: 4, val_fraction: 0.3}\n"
      "train: {eval_batches: 0}\n",
      "test");
  c.data.root = dir.path();
  gen::resolve_model_options(c);
  torch::manual_seed(4);
  auto data = gen::open_data_source(c, torch::kCPU);
  auto model = gen::build_model(c, data->spec(), torch::kCPU);

  const gen::MetricValues m = gen::held_out_means(*data, *model, gen::EvalSplit::kVal);
  REQUIRE(m.size() == 3);
  CHECK(m[0].name == "val_loss");
  CHECK(m[2].name == "val_bpb");  // ASCII: a byte per token, so bits per byte = loss / ln 2
  CHECK(m[2].value == Approx(m[0].value / std::log(2.0)).epsilon(1e-6));

  // Independently: the held-out tokens cut into consecutive windows, one at a time.
  const gen::Tokenizer tok = gen::Tokenizer::build("char", text);
  const std::vector<int64_t> ids = tok.encode(text);
  const auto n = static_cast<int64_t>(ids.size()), n_val = static_cast<int64_t>(double(n) * 0.3);
  const torch::Tensor val = torch::tensor(ids, torch::kInt64).narrow(0, n - n_val, n_val);
  REQUIRE((n_val - 1) % 16 != 0);  // the split ends in a partial window
  double sum = 0, tokens = 0;
  for (int64_t s = 0; s + 1 < n_val; s += 16) {
    const int64_t len = std::min<int64_t>(16, n_val - 1 - s);
    const gen::Batch w{val.narrow(0, s, len).unsqueeze(0), val.narrow(0, s + 1, len).unsqueeze(0)};
    sum += model->evaluate(w)[0].value.item<double>() * double(len);
    tokens += double(len);
  }
  CHECK(tokens == double(n_val - 1));
  CHECK(m[0].value == Approx(sum / tokens).epsilon(1e-5));
}
