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

namespace {

// Floats from -20 to 20 every 1/64 (both tails, where Phi underflows or rounds to 1), random ones
// and the special values; an odd count, so that each clone's padded last vector runs too.
torch::Tensor float_inputs() {
  torch::manual_seed(5);
  const float special[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f, -1e30f, INFINITY, -INFINITY, 13.19f, -13.19f,
                           -13.2f, -14.0f, -88.0f, 3.4e38f, -3.4e38f, NAN};
  return torch::cat({torch::arange(-1280, 1281).to(torch::kFloat) / 64, torch::randn({3 * 1117}) * 3,
                     torch::from_blob(const_cast<float*>(special), {16}, torch::kFloat).clone()});
}

// x Phi(x) and Phi(x) + x phi(x) in float64 (through erfc, which keeps the far negative tail).
std::pair<torch::Tensor, torch::Tensor> float64_gelu(const torch::Tensor& x) {
  const torch::Tensor x64 = x.to(torch::kDouble);
  const torch::Tensor cdf = 0.5 * torch::erfc(-x64 * M_SQRT1_2);
  const torch::Tensor pdf = torch::exp(-0.5 * x64 * x64) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
  const torch::Tensor slope = torch::where(torch::isinf(x64), (x64 > 0).to(torch::kDouble), cdf + x64 * pdf);
  return {torch::where(torch::isinf(x64) & (x64 < 0), torch::zeros_like(x64), x64 * cdf), slope};
}

// Where got is not want within `relative` of want plus `absolute` (for the tail where Phi(x) and
// phi(x) fall below float's smallest normal); infinities and NaNs must be the same.
torch::Tensor off_by_more(const torch::Tensor& got, const torch::Tensor& want, const torch::Tensor& relative,
                          const torch::Tensor& absolute) {
  const torch::Tensor g = got.to(torch::kDouble);
  const torch::Tensor close = (g - want).abs() <= relative * want.abs() + absolute;
  return ~torch::where(torch::isfinite(want), close, (g == want) | (torch::isnan(g) & torch::isnan(want)));
}

}  // namespace

TEST_CASE("gelu_cpu: float's GELU and slope are float64's within 1e-6 relative, on every instruction set",
          "[model]") {
  const torch::Tensor x = float_inputs();
  const auto [want_y, want_slope] = float64_gelu(x);
  const torch::Tensor dy = torch::randn_like(x);
  // The float rounding of -x^2/2 moves e^(-x^2/2) by up to |x|^2 / 2 ulp: 1e-6 up to |x| = 2,
  // 2.5e-7 x^2 beyond (measured: up to 3.8e-7 for |x| < 3, 1.9e-6 for x in [-9, -3]).
  const torch::Tensor finite_x = torch::nan_to_num(x.to(torch::kDouble), 0, 20, -20).clamp(-20, 20);
  const torch::Tensor relative = torch::clamp_min(finite_x.square() * 2.5e-7, 1e-6);
  // Below float's smallest normal, 1.2e-38: Phi(x) and phi(x) there are within that of 0.
  const torch::Tensor absolute = 1.2e-38 * (1 + finite_x.abs());
  for (const std::string& isa : gen::test::kernel_instruction_sets()) {
    INFO(isa);
    gen::test::with_kernel_isa(isa, [&] {
      const torch::Tensor xg = x.clone().requires_grad_();
      const torch::Tensor y = gen::gelu_cpu(xg);
      REQUIRE(y.scalar_type() == torch::kFloat);
      y.backward(dy);
      const torch::Tensor bad_y = off_by_more(y.detach(), want_y, relative, absolute);
      INFO("first x off: " << x.index({bad_y}).slice(0, 0, 3) << " y " << y.detach().index({bad_y}).slice(0, 0, 3)
                           << " want " << want_y.index({bad_y}).slice(0, 0, 3));
      CHECK(bad_y.sum().item<int64_t>() == 0);
      // dx = dy * slope; plus 1e-7 |dy| where the slope's two terms (each under 1.2) cancel, near x = -0.75.
      const torch::Tensor bad_dx = off_by_more(xg.grad(), dy.to(torch::kDouble) * want_slope, relative,
                                               (absolute + 1e-7) * dy.abs().to(torch::kDouble));
      INFO("first x off in dx: " << x.index({bad_dx}).slice(0, 0, 3));
      CHECK(bad_dx.sum().item<int64_t>() == 0);
      // Without a backward pass to come, the same values (the slope is not computed).
      torch::NoGradGuard no_grad;
      CHECK(gen::gelu_cpu(x).view(torch::kInt).equal(y.detach().view(torch::kInt)));
    });
  }
}

TEST_CASE("gelu_cpu: the cases it takes, and no double backward", "[model]") {
  CHECK(gen::gelu_cpu_fits(torch::zeros({4, 8}, torch::kBFloat16)));
  CHECK(gen::gelu_cpu_fits(torch::zeros({4}, torch::kHalf)));
  CHECK(gen::gelu_cpu_fits(torch::zeros({4}, torch::kFloat)));
  CHECK_FALSE(gen::gelu_cpu_fits(torch::zeros({4}, torch::kDouble)));
  CHECK_FALSE(gen::gelu_cpu_fits(torch::Tensor()));
  CHECK_THROWS_WITH(gen::gelu_cpu(torch::zeros({4}, torch::kDouble)), Catch::Contains("not a case it takes"));
  for (const auto dtype : {torch::kBFloat16, torch::kFloat}) {
    const torch::Tensor x = torch::randn({8}).to(dtype).requires_grad_();
    const torch::Tensor y = gen::gelu_cpu(x);
    CHECK_THROWS_WITH(torch::autograd::grad({y.to(torch::kFloat).sum()}, {x}, {}, true, /*create_graph=*/true),
                      Catch::Contains("no double backward"));
  }
  // A strided input (a transposed view) is read in its logical order.
  const torch::Tensor m = torch::randn({5, 7}).to(torch::kBFloat16);
  CHECK(gen::gelu_cpu(m.t()).equal(gen::gelu_cpu(m.t().contiguous())));
}

TEST_CASE("gelu_cpu: the Transformer block's MLP in float and bf16 runs it", "[model]") {
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    INFO(dtype);
    gen::GptShape shape;
    shape.n_head = 2;
    shape.n_embd = 64;
    gen::Block block(shape);
    block->to(dtype);
    torch::manual_seed(9);
    const torch::Tensor x = torch::randn({2, 40, 64}).to(dtype);
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
}
