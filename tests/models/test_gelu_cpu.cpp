#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <ATen/record_function.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "models/gelu_cpu.h"
#include "models/gpt.h"
#include "support/kernel_isa.h"

namespace {

// Every finite value of a 16-bit type, in bit order.
torch::Tensor every_finite(torch::ScalarType dtype) {
  const torch::Tensor all = torch::arange(-32768, 32768, torch::kInt).to(torch::kShort).view(dtype);
  return all.index({torch::isfinite(all)});
}

// The distances from y to the values of its type next to it in magnitude, below and above (its
// bit pattern's neighbours), so that "nearest" can be checked without rounding anything.
std::pair<torch::Tensor, torch::Tensor> gaps(const torch::Tensor& y) {
  const torch::Tensor magnitude = y.view(torch::kShort).to(torch::kInt).bitwise_and(0x7FFF);
  const auto value_of = [&](const torch::Tensor& m) {
    return m.to(torch::kShort).view(y.scalar_type()).to(torch::kDouble);
  };
  const torch::Tensor here = value_of(magnitude);
  const torch::Tensor up = value_of(magnitude + 1) - here;
  // Below the smallest magnitude lies the other zero: the gap to it is the smallest step.
  const torch::Tensor down = torch::where(magnitude > 0, here - value_of((magnitude - 1).clamp_min(0)), up);
  return {down, up};
}

}  // namespace

TEST_CASE("gelu_cpu: every bf16 and fp16 value's GELU is the float64 one rounded to nearest, on every instruction set",
          "[model]") {
  for (const auto dtype : {torch::kBFloat16, torch::kHalf}) {
    INFO(dtype);
    const torch::Tensor x = every_finite(dtype);
    // The AVX-512 clones gather 16 table entries at a time, the others look each one up.
    for (const std::string& isa : gen::test::kernel_instruction_sets()) {
      INFO(isa);
      torch::Tensor y;
      gen::test::with_kernel_isa(isa, [&] { y = gen::gelu_cpu(x); });
      REQUIRE(y.scalar_type() == dtype);
      // x Phi(x) in float64 through LibTorch's erfc (its float64 GELU adds 1 to erf(x / sqrt 2),
      // which cancels to nothing in the far negative tail, where this x Phi(x) keeps its digits).
      const torch::Tensor x64 = x.to(torch::kDouble);
      const torch::Tensor want = x64 * 0.5 * torch::erfc(-x64 * M_SQRT1_2);
      const auto [down, up] = gaps(y);
      const torch::Tensor off = y.to(torch::kDouble).abs() - want.abs();  // > 0: |y| above the exact one
      // Within half a step on the side the exact value lies (a hair of slack for float64's own erf).
      const torch::Tensor nearest =
          torch::where(off > 0, off <= 0.5 * down * (1 + 1e-9), -off <= 0.5 * up * (1 + 1e-9)) &
          ((y.to(torch::kDouble) * want) >= 0);
      INFO("first value not rounded to nearest: x = "
           << x.index({nearest.logical_not()}).to(torch::kDouble).slice(0, 0, 1) << ", y = "
           << y.index({nearest.logical_not()}).to(torch::kDouble).slice(0, 0, 1));
      CHECK(nearest.all().item<bool>());
    }
  }
}

TEST_CASE("gelu_cpu: its gradient is dy times the float64 slope, rounded once, on every instruction set",
          "[model]") {
  for (const auto dtype : {torch::kBFloat16, torch::kHalf}) {
    torch::manual_seed(3);
    // An odd count: whole vectors, a partial one and a partial chunk of the slope buffer.
    const torch::Tensor x = (torch::randn({3, 1117}) * 2).to(dtype);
    const torch::Tensor dy = torch::randn({3, 1117}).to(dtype);
    const torch::Tensor x64 = x.to(torch::kDouble).requires_grad_();
    torch::gelu(x64).backward(dy.to(torch::kDouble));
    const torch::Tensor want = x64.grad();  // dy * (Phi(x) + x phi(x)) in float64
    torch::Tensor first;
    for (const std::string& isa : gen::test::kernel_instruction_sets()) {
      INFO(dtype << ", " << isa);
      gen::test::with_kernel_isa(isa, [&] {
        const torch::Tensor xg = x.clone().requires_grad_();
        gen::gelu_cpu(xg).backward(dy);
        const torch::Tensor dx = xg.grad();
        REQUIRE(dx.scalar_type() == dtype);
        // The float product rounds once into the 16-bit type: within one step of its own size
        // (2^-8 relative for bf16, 2^-11 for fp16) of float64's.
        const double step = dtype == torch::kBFloat16 ? 1.0 / 256 : 1.0 / 2048;
        const torch::Tensor error = (dx.to(torch::kDouble) - want).abs();
        // Plus half fp16's smallest step where the product is subnormal there (bf16's is 1e-40).
        CHECK((error <= step * want.abs() + std::ldexp(1.0, -25)).all().item<bool>());
        if (!first.defined()) {
          first = dx;
        } else {
          CHECK(dx.equal(first));  // every clone gives the same bits
        }
      });
    }
  }
}

TEST_CASE("gelu_cpu: the cases it takes, and no double backward", "[model]") {
  CHECK(gen::gelu_cpu_fits(torch::zeros({4, 8}, torch::kBFloat16)));
  CHECK(gen::gelu_cpu_fits(torch::zeros({4}, torch::kHalf)));
  CHECK_FALSE(gen::gelu_cpu_fits(torch::zeros({4}, torch::kFloat)));
  CHECK_FALSE(gen::gelu_cpu_fits(torch::Tensor()));
  CHECK_THROWS_WITH(gen::gelu_cpu(torch::zeros({4})), Catch::Contains("not a case it takes"));
  const torch::Tensor x = torch::randn({8}).to(torch::kBFloat16).requires_grad_();
  const torch::Tensor y = gen::gelu_cpu(x);
  CHECK_THROWS_WITH(torch::autograd::grad({y.to(torch::kFloat).sum()}, {x}, {}, true, /*create_graph=*/true),
                    Catch::Contains("no double backward"));
  // A strided input (a transposed view) is read in its logical order.
  const torch::Tensor m = torch::randn({5, 7}).to(torch::kBFloat16);
  CHECK(gen::gelu_cpu(m.t()).equal(gen::gelu_cpu(m.t().contiguous())));
}

TEST_CASE("gelu_cpu: the Transformer block's MLP in bf16 runs it", "[model]") {
  gen::GptShape shape;
  shape.n_head = 2;
  shape.n_embd = 64;
  gen::Block block(shape);
  block->to(torch::kBFloat16);
  torch::manual_seed(9);
  const torch::Tensor x = torch::randn({2, 40, 64}).to(torch::kBFloat16);
  const torch::Tensor h = block->c_fc->forward(block->ln_2->forward(x));
  const torch::Tensor want = block->c_proj->forward(gen::gelu_cpu(h));
  // Counts the calls of gen::gelu_cpu on this thread while block->mlp runs.
  static int calls = 0;
  calls = 0;
  const auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(
      [](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
        if (std::string(fn.name()) == gen::kGeluCpuOp) ++calls;
        return nullptr;
      }));
  const torch::Tensor out = block->mlp(x);
  at::removeCallback(handle);
  CHECK(calls == 1);
  CHECK(out.equal(want));
}
