#include <catch2/catch.hpp>

#include <limits>
#include <sstream>

#include "config/config.h"
#include "optim/net_optimizer.h"

namespace {
gen::Config optim_config(const std::string& extra) {
  return gen::parse_config("model: {kind: dcgan}\n" + extra, "test");
}

std::vector<torch::Tensor> grads(torch::nn::Linear& net) {
  return {net->weight.grad().clone(), net->bias.grad().clone()};
}
}  // namespace

TEST_CASE("accumulation: gradients of 4 micro-batches equal those of the whole batch", "[train]") {
  torch::manual_seed(0);
  torch::nn::Linear net(3, 2);
  const gen::Batch batch{torch::randn({8, 3}), torch::randn({8, 2})};
  auto loss_of = [&](const gen::Batch& b) {
    const torch::Tensor loss = (net->forward(b.x) - b.y).pow(2).mean();
    return std::make_pair(loss, gen::Metrics{{"loss", loss.detach()}});
  };
  net->zero_grad();
  const auto whole = gen::accumulate_gradients(batch, 1, loss_of);
  const auto g1 = grads(net);
  net->zero_grad();
  const auto parts = gen::accumulate_gradients(batch, 4, loss_of);
  const auto g4 = grads(net);
  CHECK(torch::allclose(g1[0], g4[0], 1e-5, 1e-6));
  CHECK(torch::allclose(g1[1], g4[1], 1e-5, 1e-6));
  CHECK(whole[0].value.item<double>() == Approx(parts[0].value.item<double>()).epsilon(1e-5));
}

TEST_CASE("optimizer: clipping caps the global gradient norm and reports the norm before", "[train]") {
  torch::manual_seed(1);
  torch::nn::Linear net(4, 4);
  gen::NetOptimizer opt(*net, optim_config("optim: {grad_clip: 0.5, lr: 0.0}\n"), false);
  opt.zero_grad();
  (net->forward(torch::ones({2, 4})) * 100).sum().backward();
  const torch::Tensor before = torch::stack({net->weight.grad().norm(), net->bias.grad().norm()}).norm();
  const torch::Tensor reported = opt.step().grad_norm;
  CHECK(reported.item<double>() == Approx(before.item<double>()).epsilon(1e-4));
  const torch::Tensor after = torch::stack({net->weight.grad().norm(), net->bias.grad().norm()}).norm();
  CHECK(after.item<double>() == Approx(0.5).epsilon(1e-3));
}

TEST_CASE("optimizer: a norm within the clip updates as without clipping and leaves the gradients unwritten",
          "[train]") {
  const std::string kernel = GENERATE(std::string("foreach"), std::string("auto"));
  CAPTURE(kernel);
  auto run = [&](double clip) {
    torch::manual_seed(2);
    torch::nn::Linear net(4, 4);
    gen::NetOptimizer opt(*net, optim_config("optim: {kind: adamw, lr: 0.01, weight_decay: 0.1, kernel: " + kernel +
                                              ", grad_clip: " + std::to_string(clip) + "}\n"),
                          false);
    opt.zero_grad();
    (net->forward(torch::ones({2, 4})) * 0.01).sum().backward();
    const int64_t version = net->weight.grad()._version();
    const torch::Tensor grad = net->weight.grad().clone();
    opt.step();
    CHECK(torch::equal(net->weight.grad(), grad));
    return std::make_pair(net->weight.detach().clone(), net->weight.grad()._version() - version);
  };
  const auto [unclipped, writes_unclipped] = run(0.0);
  const auto [within, writes_within] = run(1000.0);
  CHECK(torch::equal(within, unclipped));
  // The version counter sees the foreach pass over the gradients; the fused kernel stores them
  // without counting (test_multi_tensor_adam.cpp watches both kernels by a signaling NaN's bits).
  if (kernel == "foreach") CHECK(writes_within == writes_unclipped);
}

TEST_CASE("optimizer: AdamW decays weight matrices but not biases", "[train]") {
  torch::nn::Linear net(3, 3);
  gen::NetOptimizer opt(*net, optim_config("optim: {kind: adamw, lr: 0.1, weight_decay: 0.5}\n"), false);
  const torch::Tensor w0 = net->weight.detach().clone(), b0 = net->bias.detach().clone();
  opt.zero_grad();
  net->weight.mutable_grad() = torch::zeros_like(net->weight);  // zero gradients: only decay moves weights
  net->bias.mutable_grad() = torch::zeros_like(net->bias);
  opt.step();
  CHECK(torch::allclose(net->weight, w0 * (1 - 0.1 * 0.5)));
  CHECK(torch::equal(net->bias, b0));
}

TEST_CASE("optimizer: a non-finite gradient is reported as skipped and changes nothing", "[train]") {
  torch::nn::Linear net(2, 2);
  gen::NetOptimizer opt(*net, optim_config("optim: {lr: 0.1}\ntrain: {ema: 0.9}\n"), /*use_ema=*/true);
  const torch::Tensor w0 = net->weight.detach().clone();
  opt.zero_grad();
  net->weight.mutable_grad() = torch::full_like(net->weight, std::nan(""));
  net->bias.mutable_grad() = torch::zeros_like(net->bias);
  CHECK(opt.step().skipped.item<bool>());
  CHECK(torch::equal(net->weight, w0));
  opt.zero_grad();
  net->weight.mutable_grad() = torch::ones_like(net->weight);
  net->bias.mutable_grad() = torch::ones_like(net->bias);
  CHECK_FALSE(opt.step().skipped.item<bool>());
  CHECK_FALSE(torch::equal(net->weight, w0));
}

namespace {
double ema_weight(gen::Ema& ema, torch::nn::Linear& net) {
  const gen::EmaWeights swapped(&ema);
  return net->weight.item<double>();
}
void set_weight(torch::nn::Linear& net, double v) {
  torch::NoGradGuard g;
  net->weight.fill_(v);
}
}  // namespace

TEST_CASE("ema: tracks the weights and swaps them in only inside an EmaWeights scope", "[train]") {
  torch::nn::Linear net(2, 1);
  {
    torch::NoGradGuard g;
    net->weight.fill_(0.0);
  }
  gen::Ema ema(*net, 0.5);
  {
    torch::NoGradGuard g;
    net->weight.fill_(1.0);
  }
  ema.update();  // the first update's decay is min(0.5, 1/10): 0.1 * 0 + 0.9 * 1
  {
    const gen::EmaWeights swapped(&ema);
    CHECK(net->weight.min().item<double>() == Approx(0.9));
  }
  CHECK(net->weight.min().item<double>() == Approx(1.0));
}

TEST_CASE(
    "ema: InferenceScope switches to eval mode, no-grad and the EMA weights, and restores all of them when an "
    "exception passes",
    "[train]") {
  torch::nn::Linear net(2, 1);
  set_weight(net, 0.0);
  gen::Ema ema(*net, 0.5);
  set_weight(net, 1.0);
  ema.update();
  REQUIRE(net->is_training());
  try {
    gen::InferenceScope scope(*net, &ema);
    CHECK_FALSE(net->is_training());
    CHECK_FALSE(torch::GradMode::is_enabled());
    CHECK(net->weight.min().item<double>() == Approx(0.9));
    throw std::runtime_error("inside the scope");
  } catch (const std::runtime_error&) {
  }
  CHECK(net->is_training());
  CHECK(torch::GradMode::is_enabled());
  CHECK(net->weight.min().item<double>() == Approx(1.0));
  net->eval();
  { gen::InferenceScope scope(*net); }  // restores the mode it found, without an EMA
  CHECK_FALSE(net->is_training());
}

TEST_CASE("ema: the decay warms up as (1 + n) / (10 + n), and the count survives save and load", "[train]") {
  torch::nn::Linear net(1, 1), other(1, 1);
  set_weight(net, 0.0);
  gen::Ema ema(*net, 0.9);
  double expect = 0;
  int n = 0;
  auto step = [&] {  // the n-th update sees weight n + 1
    set_weight(net, n + 1.0);
    set_weight(other, n + 1.0);
    ema.update();
    const double d = std::min(0.9, (1.0 + n) / (10.0 + n));
    expect = d * expect + (1 - d) * (n + 1.0);
    ++n;
  };
  for (int i = 0; i < 5; ++i) step();
  CHECK(ema_weight(ema, net) == Approx(expect).epsilon(1e-5));

  // Saved in the middle of the warm-up: a restored average that lost the count would take the
  // next update with the full decay (0.9) instead of (1 + 5) / (10 + 5) = 0.4.
  torch::serialize::OutputArchive out;
  ema.save(out);
  std::ostringstream bytes;
  out.save_to(bytes);
  gen::Ema restored(*other, 0.9);
  std::istringstream is(bytes.str());
  torch::serialize::InputArchive in;
  in.load_from(is);
  restored.load(in);
  step();
  restored.update();
  CHECK(ema_weight(restored, other) == Approx(expect).epsilon(1e-5));

  while (n < 120) step();  // past the warm-up: the full decay
  const double before = expect;
  step();
  CHECK(ema_weight(ema, net) == Approx(0.9 * before + 0.1 * 121.0).epsilon(1e-5));
}

TEST_CASE("optimizer: under fp16 loss scaling a step updates as the unscaled one, and clips by the true norm",
          "[train]") {
  torch::manual_seed(3);
  torch::nn::Linear plain(4, 4), scaled(4, 4);
  {
    torch::NoGradGuard no_grad;
    scaled->weight.copy_(plain->weight);
    scaled->bias.copy_(plain->bias);
  }
  const gen::Config config = optim_config("optim: {grad_clip: 0.5, lr: 0.01}\n");
  gen::NetOptimizer opt32(*plain, config, false, gen::Precision::kFp32);
  gen::NetOptimizer opt16(*scaled, config, false, gen::Precision::kFp16);  // the scaler's arithmetic runs anywhere
  const torch::Tensor x = torch::randn({8, 4});
  for (int step = 0; step < 3; ++step) {
    opt32.zero_grad();
    (plain->forward(x) * 10).pow(2).mean().backward();
    const auto u32 = opt32.step();
    opt16.zero_grad();
    opt16.scaled((scaled->forward(x) * 10).pow(2).mean()).backward();  // gradients 65536 times larger
    const auto u16 = opt16.step();
    INFO("step " << step);
    CHECK(u16.grad_norm.item<double>() == Approx(u32.grad_norm.item<double>()).epsilon(1e-5));
    CHECK(u16.skipped.item<float>() == 0.0f);
    CHECK(torch::allclose(scaled->weight, plain->weight, 1e-5, 1e-6));
    CHECK(torch::allclose(scaled->bias, plain->bias, 1e-5, 1e-6));
  }
  // An overflow: skipped, weights untouched, the scale halved; not the gradients' fault at 65536.
  const torch::Tensor before = scaled->weight.detach().clone();
  opt16.zero_grad();
  opt16.scaled(scaled->forward(x).sum() * std::numeric_limits<float>::infinity()).backward();
  CHECK(opt16.step().skipped.item<float>() == 0.0f);
  CHECK(torch::equal(scaled->weight, before));
  CHECK(opt16.unscaled(torch::ones({})).item<float>() == 1.0f / 32768.0f);
}
