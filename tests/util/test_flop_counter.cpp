#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "util/flop_counter.h"

TEST_CASE("flop counter: a linear layer's product, once, split by gradient mode, and no backward ops", "[util]") {
  torch::nn::Linear fc(64, 32);
  const torch::Tensor x = torch::randn({8, 64});
  gen::FlopCounter counter;
  torch::Tensor y = fc->forward(x);  // aten::linear -> addmm: counted once, not twice
  CHECK(counter.count().with_grad == 2.0 * 8 * 64 * 32);
  CHECK(counter.count().ops == 1);
  y.sum().backward();  // two more products (input and weight gradients), inside the backward pass
  CHECK(counter.count().ops == 1);
  {
    torch::NoGradGuard no_grad;
    fc->forward(torch::randn({3, 5, 64}));  // a 3-d input folds into one product of 15 rows
  }
  CHECK(counter.count().without_grad == 2.0 * 15 * 64 * 32);
  CHECK(counter.count().training() == 3 * 2.0 * 8 * 64 * 32 + 2.0 * 15 * 64 * 32);
}

TEST_CASE("flop counter: convolutions, transposed convolutions and batched products from their shapes", "[util]") {
  torch::NoGradGuard no_grad;
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3).padding(1));
  torch::nn::ConvTranspose2d up(torch::nn::ConvTranspose2dOptions(8, 4, 4).stride(2).padding(1));
  torch::nn::Conv2d down(torch::nn::Conv2dOptions(4, 6, 4).stride(2).padding(1).groups(2));
  gen::FlopCounter counter;
  conv->forward(torch::randn({2, 3, 16, 16}));
  CHECK(counter.count().without_grad == 2.0 * (2 * 8 * 16 * 16) * (3 * 3 * 3));
  const double before = counter.count().without_grad;
  up->forward(torch::randn({2, 8, 8, 8}));  // every input pixel scatters into 4 x 4 x 4 outputs
  CHECK(counter.count().without_grad - before == 2.0 * (2 * 8 * 8 * 8) * (4 * 4 * 4));
  const double before2 = counter.count().without_grad;
  down->forward(torch::randn({2, 4, 16, 16}));  // groups of 2: each output sees 2 input channels
  CHECK(counter.count().without_grad - before2 == 2.0 * (2 * 6 * 8 * 8) * (2 * 4 * 4));
  const double before3 = counter.count().without_grad;
  torch::matmul(torch::randn({2, 3, 5, 7}), torch::randn({2, 3, 7, 4}));
  CHECK(counter.count().without_grad - before3 == 2.0 * (2 * 3) * 5 * 7 * 4);
  CHECK(counter.count().with_grad == 0);
}

TEST_CASE("flop counter: a finished counter leaves no observer behind (every op would keep recording inputs)",
          "[util]") {
  REQUIRE_FALSE(at::hasThreadLocalCallbacks());
  {
    gen::FlopCounter counter;
    CHECK(at::hasThreadLocalCallbacks());
  }
  CHECK_FALSE(at::hasThreadLocalCallbacks());
}
