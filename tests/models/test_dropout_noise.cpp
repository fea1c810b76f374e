#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <ATen/core/PhiloxRNGEngine.h>

#include <cmath>

#include "models/batch_random.h"
#include "models/dropout_noise.h"

TEST_CASE("dropout noise: gen's Philox4x32-10 blocks are ATen's engine's outputs", "[model]") {
  for (const uint64_t seed : {uint64_t(0), uint64_t(67280421310721), ~uint64_t(0)}) {
    // A block past 2^32 carries into the counter's second word.
    for (const uint64_t block : {uint64_t(0), uint64_t(1), uint64_t(12345), (uint64_t(1) << 32) + 7}) {
      at::Philox4_32 engine(seed, /*subsequence=*/0, /*offset=*/block);
      const std::array<uint32_t, 4> mine = gen::philox_block(seed, block);
      INFO("seed " << seed << ", block " << block);
      for (int lane = 0; lane < 4; ++lane) CHECK(mine[lane] == engine());
    }
  }
}

TEST_CASE("dropout noise: a slice drawn alone, and a draw on 1 or 2 threads, equal the whole draw's", "[model]") {
  const torch::TensorOptions f32 = torch::TensorOptions().dtype(torch::kFloat);
  const int64_t n = 100003;  // a few parallel tasks, and not a whole number of blocks
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one = gen::dropout_noise({n}, f32, 0.3, 99);
  at::set_num_threads(2);
  const torch::Tensor two = gen::dropout_noise({n}, f32, 0.3, 99);
  at::set_num_threads(threads);
  CHECK(torch::equal(one, two));
  // The draw runs on LibTorch's threads where the build compiles the file with OpenMP.
  at::set_num_threads(2);
#ifdef GEN_WITH_OPENMP
  CHECK(gen::parallel_threads_used(n) == 2);
#else
  CHECK(gen::parallel_threads_used(n) == 1);
#endif
  at::set_num_threads(threads);
  // Slices starting inside a block and ending inside one, within one block, and whole blocks.
  for (const auto& [first, count] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 2}, {3, 1}, {5, 10}, {6, 33000}, {4, 64}, {50001, 50002}, {0, 3}}) {
    INFO("elements " << first << " + " << count);
    CHECK(torch::equal(gen::dropout_noise({count}, f32, 0.3, 99, first), one.narrow(0, first, count)));
  }
  // Another seed, another mask.
  CHECK(!torch::equal(gen::dropout_noise({n}, f32, 0.3, 100), one));
}

TEST_CASE("dropout noise: 0 or 1 / (1 - p) in the tensor's type, kept with probability 1 - p", "[model]") {
  const int64_t n = 1 << 20;
  for (const double p : {0.1, 0.2, 0.5, 0.9}) {
    for (const auto dtype : {torch::kFloat, torch::kBFloat16, torch::kHalf, torch::kDouble}) {
      INFO("p " << p << ", " << dtype);
      const torch::Tensor noise = gen::dropout_noise({n}, torch::TensorOptions().dtype(dtype), p, 7);
      REQUIRE(noise.scalar_type() == dtype);
      const double kept_value = torch::tensor(1.0 / (1.0 - p), torch::kDouble).to(dtype).item<double>();
      const torch::Tensor kept = noise != 0;
      CHECK(torch::all(kept.logical_not() | (noise.to(torch::kDouble) == kept_value)).item<bool>());
      // Within 5 standard deviations of the binomial's mean.
      const double fraction = kept.to(torch::kDouble).mean().item<double>();
      CHECK(std::abs(fraction - (1 - p)) < 5 * std::sqrt(p * (1 - p) / double(n)));
    }
  }
}

TEST_CASE("dropout noise: seeds come from the CPU generator, and batch_dropout's gradient is its noise", "[model]") {
  torch::manual_seed(5);
  const uint64_t a = gen::draw_seed(), b = gen::draw_seed();
  torch::manual_seed(5);
  CHECK(gen::draw_seed() == a);
  CHECK(a != b);

  const torch::Tensor x = torch::randn({8, 3, 50}).requires_grad_();
  torch::manual_seed(11);
  const torch::Tensor y = gen::batch_dropout(x, 0.25, true);
  torch::manual_seed(11);
  const torch::Tensor noise = gen::dropout_noise(x.sizes(), x.options(), 0.25, gen::draw_seed());
  CHECK(torch::equal(y.detach(), x.detach() * noise));
  y.sum().backward();
  CHECK(torch::equal(x.grad(), noise));
  CHECK(torch::equal(gen::batch_dropout(x, 0.25, false), x));  // evaluation: the identity
}

TEST_CASE("dropout noise: fused_dropout gives x * noise and its gradient, bit for bit, and a double backward pass",
          "[model]") {
  for (const auto dtype : {torch::kFloat, torch::kBFloat16, torch::kDouble}) {
    // A channels-last-like view: not contiguous, masked in its logical order.
    for (const bool strided : {false, true}) {
      INFO(dtype << (strided ? ", strided" : ""));
      torch::Tensor base = torch::randn({4, 70, 33}).to(dtype);
      base.index_put_({0, 0, 0}, std::nan(""));  // propagates when dropped, as x * 0 does
      const torch::Tensor leaf = (strided ? base.transpose(1, 2) : base).detach().requires_grad_();
      const torch::Tensor ref_leaf = leaf.detach().clone().requires_grad_();
      const torch::Tensor fused = gen::fused_dropout(leaf, 0.3, 1234, 17);
      const torch::Tensor noise = gen::dropout_noise(leaf.sizes(), leaf.options(), 0.3, 1234, 17);
      const torch::Tensor want = ref_leaf * noise;
      CHECK(torch::equal(fused.isnan(), want.isnan()));
      CHECK(torch::equal(fused.nan_to_num(), want.nan_to_num()));
      const torch::Tensor g = torch::randn(fused.sizes()).to(dtype);
      fused.backward(g);
      want.backward(g);
      CHECK(torch::equal(leaf.grad(), ref_leaf.grad()));
    }
  }
  // A channels-last input keeps its layout, as x * noise keeps it.
  const torch::Tensor image = torch::randn({2, 8, 5, 5}).contiguous(at::MemoryFormat::ChannelsLast);
  const torch::Tensor dropped = gen::fused_dropout(image, 0.3, 5);
  CHECK(dropped.is_contiguous(at::MemoryFormat::ChannelsLast));
  CHECK(torch::equal(dropped, image * gen::dropout_noise(image.sizes(), image.options(), 0.3, 5)));
  // The gradient of the gradient (a penalty on it) goes through differentiable ops.
  const torch::Tensor x = torch::randn({6, 40}, torch::kDouble).requires_grad_();
  const torch::Tensor noise = gen::dropout_noise(x.sizes(), x.options(), 0.5, 9);
  const torch::Tensor gx = torch::autograd::grad({(gen::fused_dropout(x, 0.5, 9) * x).sum()}, {x}, {}, true, true)[0];
  const torch::Tensor ggx = torch::autograd::grad({gx.sum()}, {x})[0];
  CHECK(torch::allclose(gx, 2 * x.detach() * noise));
  CHECK(torch::allclose(ggx, 2 * noise));
}
