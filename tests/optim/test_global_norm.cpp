#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "optim/global_norm.h"
#include "support/kernel_isa.h"

namespace {

// The norm of every element together, in float64.
double float64_norm(const std::vector<torch::Tensor>& grads) {
  double sum = 0;
  for (const auto& g : grads) sum += g.to(torch::kDouble).pow(2).sum().item<double>();
  return std::sqrt(sum);
}

}  // namespace

TEST_CASE("global norm: float64's norm of all the gradients together, in float32, whatever the threads and clone",
          "[train]") {
  torch::manual_seed(1);
  // Sizes around the chunks: one element, a partial vector, several chunks and a tail.
  const std::vector<torch::Tensor> grads = {torch::randn({1}), torch::randn({7}) * 100, torch::randn({3, 8192 + 13}),
                                            torch::randn({128, 65}) * 1e-3};
  const torch::Tensor norm = gen::global_norm(grads);
  CHECK(norm.dim() == 0);
  CHECK(norm.scalar_type() == torch::kFloat);
  CHECK(norm.item<double>() == Approx(float64_norm(grads)).epsilon(1e-7));
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one = gen::global_norm(grads);
  at::set_num_threads(2);
  const torch::Tensor two = gen::global_norm(grads);
  at::set_num_threads(threads);
  CHECK(one.equal(two));
  for (const std::string& isa : gen::test::kernel_instruction_sets()) {
    INFO(isa);
    gen::test::with_kernel_isa(isa, [&] { CHECK(gen::global_norm(grads).equal(norm)); });
  }
  // The same as PyTorch's clip_grad_norm_ way (a norm per tensor, then theirs) up to rounding:
  // a strided gradient takes that way.
  const torch::Tensor strided = gen::global_norm({grads[0], grads[1], grads[2].t(), grads[3]});
  CHECK(strided.item<double>() == Approx(norm.item<double>()).epsilon(1e-6));
}

TEST_CASE("global norm: a non-finite gradient gives a non-finite norm, a huge finite one does not", "[train]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(std::isinf(gen::global_norm({torch::ones({5}), torch::tensor({1.0f, inf})}).item<float>()));
  CHECK(std::isnan(gen::global_norm({torch::tensor({std::nanf("")}), torch::ones({20000})}).item<float>()));
  // 1e30 squared overflows float32 but not the float64 sums (nor LibTorch's own norm).
  CHECK(gen::global_norm({torch::full({19}, 1e30f)}).item<float>() == Approx(std::sqrt(19.0) * 1e30).epsilon(1e-6));
  CHECK(gen::global_norm({}).item<float>() == 0.0f);
}
