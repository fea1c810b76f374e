#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <string>
#include <vector>

#include "models/gpt.h"
#include "models/layer_norm_cpu.h"
#include "support/kernel_isa.h"
#include "util/autocast.h"

namespace {

struct Grads {
  torch::Tensor y, dx, dw, db;
};

Grads run(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, const torch::Tensor& dy,
          torch::ScalarType out) {
  const torch::Tensor xg = x.clone().requires_grad_(), wg = w.clone().requires_grad_();
  const torch::Tensor bg = b.defined() ? b.clone().requires_grad_() : b;
  const torch::Tensor y = gen::layer_norm_cpu(xg, wg, bg, 1e-5, out);
  y.backward(dy.to(out));
  return {y, xg.grad(), wg.grad(), bg.defined() ? bg.grad() : torch::Tensor()};
}

double max_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

}  // namespace

TEST_CASE("layer_norm_cpu: float64's values and gradients, with and without bias, on every instruction set",
          "[model]") {
  torch::manual_seed(4);
  for (const int64_t width : {128, 45}) {  // whole pairs of 8-lane vectors; one more vector and a tail
    const torch::Tensor x = torch::randn({3, 41, width}) * 2 + 0.5;  // 123 rows: 3 whole blocks and a partial
    const torch::Tensor w = torch::randn({width}), b = torch::randn({width});
    const torch::Tensor dy = torch::randn({3, 41, width});
    for (const bool with_bias : {true, false}) {
      const torch::Tensor bias = with_bias ? b : torch::Tensor();
      // The reference: LibTorch's layer norm in float64.
      const torch::Tensor x64 = x.to(torch::kDouble).requires_grad_(), w64 = w.to(torch::kDouble).requires_grad_();
      const torch::Tensor b64 = with_bias ? b.to(torch::kDouble).requires_grad_() : torch::Tensor();
      const torch::Tensor y64 = torch::layer_norm(x64, {width}, w64, b64, 1e-5);
      y64.backward(dy.to(torch::kDouble));
      for (const auto out : {torch::kFloat, torch::kBFloat16}) {
        Grads first;
        for (const std::string& isa : gen::test::kernel_instruction_sets()) {
          INFO("width " << width << ", bias " << with_bias << ", " << out << ", " << isa);
          gen::test::with_kernel_isa(isa, [&] {
            const Grads g = run(x, w, bias, dy, out);
            CHECK(g.y.scalar_type() == out);
            CHECK(g.dx.scalar_type() == torch::kFloat);
            // float32: a few float steps of |y| <= ~10; bf16: its rounding once (2^-8 relative).
            CHECK(max_error(g.y, y64) < (out == torch::kFloat ? 1e-5 : 4e-2));
            // dy reaches the kernel in bf16 when its output is bf16: the gradients follow that dy.
            const double tol = out == torch::kFloat ? 1e-4 : 0.1;
            CHECK(max_error(g.dx, x64.grad()) < tol);
            CHECK(max_error(g.dw, w64.grad()) < 10 * tol);
            if (with_bias) {
              CHECK(max_error(g.db, b64.grad()) < 10 * tol);
            } else {
              CHECK_FALSE(g.db.defined());
            }
            if (!first.y.defined()) {
              first = g;
            } else {  // every clone gives the same bits
              CHECK(g.y.equal(first.y));
              CHECK(g.dx.equal(first.dx));
              CHECK(g.dw.equal(first.dw));
            }
          });
        }
      }
    }
  }
}

TEST_CASE("layer_norm_cpu: bf16 output is the float32 output rounded once, and 1 and 2 threads give the same bits",
          "[model]") {
  torch::manual_seed(6);
  const torch::Tensor x = torch::randn({300, 96}), w = torch::randn({96}), b = torch::randn({96});
  const torch::Tensor dy = torch::randn({300, 96});
  const Grads f32 = run(x, w, b, dy, torch::kFloat);
  const Grads bf16 = run(x, w, b, dy, torch::kBFloat16);
  CHECK(bf16.y.equal(f32.y.to(torch::kBFloat16)));
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const Grads one = run(x, w, b, dy, torch::kFloat);
  at::set_num_threads(2);
  const Grads two = run(x, w, b, dy, torch::kFloat);
  at::set_num_threads(threads);
  CHECK(one.dx.equal(two.dx));
  CHECK(one.dw.equal(two.dw));
  CHECK(one.db.equal(two.db));
}

TEST_CASE("layer_norm_cpu: a row's output and x's gradient the same bits alone as among other rows", "[model]") {
  // Rows are normalized four at a time, a partial group's one by one: row 2 of 3 runs alone,
  // rows among 123 in groups, each by the same additions.
  torch::manual_seed(9);
  for (const int64_t width : {128, 45}) {
    const torch::Tensor x = torch::randn({123, width}) * 3 - 1, w = torch::randn({width}), b = torch::randn({width});
    const torch::Tensor dy = torch::randn({123, width});
    for (const auto out : {torch::kFloat, torch::kBFloat16}) {
      const Grads all = run(x, w, b, dy, out);
      for (const int64_t row : {0, 5, 61, 122}) {
        const int64_t from = std::max<int64_t>(0, row - 2);
        const Grads few = run(x.narrow(0, from, row - from + 1), w, b, dy.narrow(0, from, row - from + 1), out);
        INFO("width " << width << ", " << out << ", row " << row);
        CHECK(few.y[row - from].equal(all.y[row]));
        CHECK(few.dx[row - from].equal(all.dx[row]));
      }
    }
  }
}

TEST_CASE("layer_norm_cpu: the cases it takes, and no double backward", "[model]") {
  const torch::Tensor w = torch::ones({8});
  CHECK(gen::layer_norm_cpu_fits(torch::zeros({4, 8}), w, torch::Tensor()));
  CHECK(gen::layer_norm_cpu_fits(torch::zeros({2, 3, 8}), w, torch::zeros({8})));
  CHECK_FALSE(gen::layer_norm_cpu_fits(torch::zeros({4, 8}, torch::kBFloat16), w, torch::Tensor()));
  CHECK_FALSE(gen::layer_norm_cpu_fits(torch::zeros({4, 7}), w, torch::Tensor()));
  CHECK_FALSE(gen::layer_norm_cpu_fits(torch::zeros({4, 8}), w, torch::zeros({7})));
  CHECK_THROWS_WITH(gen::layer_norm_cpu(torch::zeros({4, 8}), w, torch::Tensor(), 1e-5, torch::kHalf),
                    Catch::Contains("not a case it takes"));
  const torch::Tensor x = torch::randn({4, 8}).requires_grad_();
  const torch::Tensor y = gen::layer_norm_cpu(x, w, torch::Tensor(), 1e-5, torch::kFloat);
  CHECK_THROWS_WITH(torch::autograd::grad({(y * y).sum()}, {x}, {}, true, /*create_graph=*/true),
                    Catch::Contains("no double backward"));
}

TEST_CASE("layer_norm_cpu: the Transformer's norm runs it, writing bf16 under CPU autocast", "[model]") {
  gen::Norm norm(64, /*bias=*/true);
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({2, 10, 64});
  static int calls = 0;
  calls = 0;
  const auto handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback([](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
        if (std::string(fn.name()) == gen::kLayerNormCpuOp) ++calls;
        return nullptr;
      }));
  const torch::Tensor plain = norm->forward(x);
  torch::Tensor autocast;
  {
    gen::AutocastScope scope(gen::Precision::kBf16, torch::Device(torch::kCPU));
    autocast = norm->forward(x);
  }
  at::removeCallback(handle);
  CHECK(calls == 2);
  CHECK(plain.scalar_type() == torch::kFloat);
  CHECK(autocast.scalar_type() == torch::kBFloat16);
  CHECK(autocast.equal(plain.to(torch::kBFloat16)));
  CHECK(max_error(plain, torch::layer_norm(x, {64}, norm->weight, norm->bias, 1e-5)) < 1e-5);
}
