#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "models/gelu_cpu.h"
#include "models/gpt.h"
#include "models/linear_bf16_cpu.h"
#include "support/kernel_isa.h"
#include "util/autocast.h"
#include "util/cpu_kernels_isa.h"
#include "util/flop_counter.h"

namespace {

bool has_bf16_dots() { return gen::cpu_kernels_isa() == "avx512bf16"; }

// Whether this CPU lacks AVX512_BF16 (said so in the test's output): the kernel's cases check
// nothing there.
bool skipped_without_bf16_dots() {
  if (has_bf16_dots()) return false;
  WARN("this CPU has no AVX512_BF16: the bf16 linear kernel does not run here");
  return true;
}

torch::Tensor bf16_values(const torch::Tensor& t) { return t.to(torch::kBFloat16).to(torch::kDouble); }

// |got - want| <= rel |want| + abs, element by element, with the worst element in the message.
void check_close(const torch::Tensor& got, const torch::Tensor& want, double rel, double abs) {
  const torch::Tensor excess = (got.to(torch::kDouble) - want).abs() - (rel * want.abs() + abs);
  INFO("worst excess over the bound " << excess.max().item<double>());
  CHECK(excess.max().item<double>() <= 0);
}

// y, x's gradient and w's gradient of the kernel against float64's products of the same bf16
// operands: y and dx rounded once to bf16 (2^-9 relative), dw summed in float.
void check_against_float64(const std::vector<int64_t>& x_shape, int64_t n, torch::ScalarType x_type) {
  torch::manual_seed(11);
  const int64_t k = x_shape.back();
  const torch::Tensor x = torch::randn(x_shape).to(x_type).requires_grad_();
  const torch::Tensor w = (torch::randn({n, k}) / std::sqrt(double(k))).requires_grad_();
  const torch::Tensor y = gen::linear_bf16_cpu(x, w);
  std::vector<int64_t> y_shape = x_shape;
  y_shape.back() = n;
  const torch::Tensor dy = torch::randn(y_shape).to(torch::kBFloat16);
  y.backward(dy);

  const torch::Tensor x64 = bf16_values(x.detach()).reshape({-1, k}), w64 = bf16_values(w.detach());
  const torch::Tensor dy64 = dy.to(torch::kDouble).reshape({-1, n});
  INFO("x " << x.sizes() << " of " << x_type << ", w " << w.sizes());
  CHECK(y.scalar_type() == torch::kBFloat16);
  CHECK(y.sizes() == torch::IntArrayRef(y_shape));
  check_close(y.reshape({-1, n}), x64.matmul(w64.t()), 1.0 / 256, 1e-5);
  CHECK(x.grad().scalar_type() == x_type);
  CHECK(x.grad().sizes() == x.sizes());
  check_close(x.grad().reshape({-1, k}), dy64.matmul(w64), 1.0 / 256, 1e-5);
  CHECK(w.grad().scalar_type() == torch::kFloat);
  // float sums of up to M terms: relative to the sum of their magnitudes.
  const torch::Tensor magnitude = dy64.abs().t().matmul(x64.abs());
  const torch::Tensor error = (w.grad().to(torch::kDouble) - dy64.t().matmul(x64)).abs();
  CHECK((error - 1e-6 * magnitude).max().item<double>() <= 0);
}

// A copy of t whose last byte lies just before a page that cannot be read: a read past its end
// crashes the test.
torch::Tensor ending_at_a_guard_page(const torch::Tensor& t) {
  const size_t bytes = size_t(t.numel()) * t.element_size();
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const size_t length = ((bytes + page - 1) / page + 1) * page;
  void* mapped = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mapped != MAP_FAILED);
  char* base = static_cast<char*>(mapped);
  REQUIRE(mprotect(base + length - page, page, PROT_NONE) == 0);
  char* start = base + length - page - bytes;
  std::memcpy(start, t.contiguous().data_ptr(), bytes);
  return torch::from_blob(
      start, t.sizes(), [base, length](void*) { munmap(base, length); }, t.options());
}

}  // namespace

TEST_CASE("bf16 linear kernel: reads nothing past x, w or dy (a last tile of fewer rows, an odd column count)",
          "[model]") {
  if (skipped_without_bf16_dots()) return;
  torch::manual_seed(6);
  for (const bool gelu : {false, true}) {
    for (const int64_t n : {66, 65}) {
      const torch::Tensor x = ending_at_a_guard_page(torch::randn({13, 130}).to(torch::kBFloat16)).requires_grad_();
      const torch::Tensor w = ending_at_a_guard_page(torch::randn({n, 130})).requires_grad_();
      const torch::Tensor dy = ending_at_a_guard_page(torch::randn({13, n}).to(torch::kBFloat16));
      (gelu ? gen::linear_gelu_bf16_cpu(x, w) : gen::linear_bf16_cpu(x, w)).backward(dy);
      CHECK(x.grad().sizes() == x.sizes());
      CHECK(w.grad().sizes() == w.sizes());
    }
  }
}

TEST_CASE("bf16 linear kernel: float64's products of the bf16 operands, values and both gradients", "[model]") {
  if (skipped_without_bf16_dots()) return;
  // Rows, summed index and columns below, at and past a tile (12 rows, 32 columns) and one
  // vector (16); one row; odd numbers of rows (the weight gradient's last pair is padded) and of
  // columns (x's gradient sums them in pairs); the Transformer's shapes, its head's included.
  const std::vector<std::pair<std::vector<int64_t>, int64_t>> cases = {
      {{1, 2}, 2},    {{3, 5, 30}, 33},    {{13, 130}, 66},   {{2, 12, 64}, 32}, {{25, 18}, 48},
      {{7, 4}, 1},    {{2, 64, 128}, 384}, {{768, 512}, 128}, {{768, 128}, 65}};
  for (const auto& [shape, n] : cases) {
    check_against_float64(shape, n, torch::kBFloat16);
    check_against_float64(shape, n, torch::kFloat);
  }
}

TEST_CASE("bf16 linear kernel: with a residual, residual + the product in float, unrounded, its gradient the sum's",
          "[model]") {
  if (skipped_without_bf16_dots()) return;
  torch::manual_seed(12);
  for (const int64_t n : {128, 65}) {
    const torch::Tensor x = torch::randn({3, 25, 64}).to(torch::kBFloat16).requires_grad_();
    const torch::Tensor w = (torch::randn({n, 64}) / 8).requires_grad_();
    const torch::Tensor residual = torch::randn({3, 25, n}).requires_grad_();
    const torch::Tensor y = gen::linear_bf16_cpu(x, w, residual);
    const torch::Tensor dy = torch::randn({3, 25, n});
    y.backward(dy);
    const torch::Tensor x64 = bf16_values(x.detach()), w64 = bf16_values(w.detach());
    INFO("N " << n);
    CHECK(y.scalar_type() == torch::kFloat);
    // float sums: within 1e-5 of the terms' magnitude (a bf16 rounding of the product is 2^-9).
    const torch::Tensor magnitude = residual.detach().to(torch::kDouble).abs() + x64.abs().matmul(w64.abs().t());
    const torch::Tensor want = residual.detach().to(torch::kDouble) + x64.matmul(w64.t());
    CHECK(((y.detach().to(torch::kDouble) - want).abs() - 1e-5 * magnitude).max().item<double>() <= 0);
    CHECK(torch::equal(residual.grad(), dy));
    const torch::Tensor dy64 = bf16_values(dy);
    check_close(x.grad(), dy64.matmul(w64), 1.0 / 256, 1e-5);
    CHECK(((w.grad().to(torch::kDouble) - dy64.reshape({-1, n}).t().matmul(x64.reshape({-1, 64}))).abs() -
           1e-6 * dy64.reshape({-1, n}).abs().t().matmul(x64.reshape({-1, 64}).abs()))
              .max()
              .item<double>() <= 0);
  }
  CHECK_THROWS_WITH(gen::linear_bf16_cpu(torch::zeros({2, 4}), torch::zeros({6, 4}), torch::zeros({2, 5})),
                    Catch::Contains("is not the product's shape"));
}

TEST_CASE("bf16 linear kernel: a float gradient gives the gradients of its bf16 rounding, ties to even",
          "[model]") {
  if (skipped_without_bf16_dots()) return;
  torch::manual_seed(13);
  for (const int64_t n : {128, 65}) {
    const torch::Tensor x = torch::randn({25, 64}).to(torch::kBFloat16);
    const torch::Tensor w = torch::randn({n, 64}) / 8;
    torch::Tensor dy = torch::randn({25, n});
    // Halfway between two bf16 values: 1 + 2^-8 rounds down to 1, 1 + 3 2^-8 up to 1 + 2^-6.
    dy[3][0] = 1.00390625f;
    dy[3][1] = 1.01171875f;
    dy[24][n - 1] = -1.01171875f;
    const torch::Tensor xa = x.clone().requires_grad_(), wa = w.clone().requires_grad_();
    gen::linear_bf16_cpu(xa, wa, torch::zeros({25, n})).backward(dy);  // a float output: dy reaches it in float
    const torch::Tensor xb = x.clone().requires_grad_(), wb = w.clone().requires_grad_();
    gen::linear_bf16_cpu(xb, wb).backward(dy.to(torch::kBFloat16));
    INFO("N " << n);
    CHECK(torch::equal(xa.grad(), xb.grad()));
    CHECK(torch::equal(wa.grad(), wb.grad()));
  }
}

TEST_CASE("bf16 linear kernel with GELU: gelu_cpu of the product, the same bits, values and both gradients",
          "[model]") {
  if (skipped_without_bf16_dots()) return;
  torch::manual_seed(14);
  // Tails of tiles and vectors, odd N (the staged gradient's padded column), the MLP's shape.
  const std::vector<std::pair<std::vector<int64_t>, int64_t>> cases = {
      {{7, 4}, 1}, {{3, 5, 30}, 33}, {{13, 130}, 66}, {{25, 18}, 65}, {{768, 128}, 512}};
  for (const auto& [shape, n] : cases) {
    for (const torch::ScalarType x_type : {torch::kBFloat16, torch::kFloat}) {
      const int64_t k = shape.back();
      const torch::Tensor x = torch::randn(shape).to(x_type);
      const torch::Tensor w = torch::randn({n, k}) / std::sqrt(double(k));
      std::vector<int64_t> y_shape = shape;
      y_shape.back() = n;
      const torch::Tensor dy = torch::randn(y_shape).to(torch::kBFloat16);
      const torch::Tensor xa = x.clone().requires_grad_(), wa = w.clone().requires_grad_();
      const torch::Tensor fused = gen::linear_gelu_bf16_cpu(xa, wa);
      fused.backward(dy);
      const torch::Tensor xb = x.clone().requires_grad_(), wb = w.clone().requires_grad_();
      const torch::Tensor apart = gen::gelu_cpu(gen::linear_bf16_cpu(xb, wb));
      apart.backward(dy);
      INFO("x " << x.sizes() << " of " << x_type << ", N " << n);
      CHECK(fused.scalar_type() == torch::kBFloat16);
      CHECK(torch::equal(fused, apart));
      CHECK(xa.grad().scalar_type() == x_type);
      CHECK(torch::equal(xa.grad(), xb.grad()));
      CHECK(torch::equal(wa.grad(), wb.grad()));
    }
  }
  CHECK_THROWS_WITH(gen::linear_gelu_bf16_cpu(torch::zeros({3, 5}), torch::zeros({8, 5})),
                    Catch::Contains("not a case it takes"));
}

TEST_CASE("bf16 linear kernel: a NaN stays a NaN in its row and column, the same bits on 1, 2 and 3 threads",
          "[model]") {
  if (skipped_without_bf16_dots()) return;
  torch::manual_seed(3);
  torch::Tensor x = torch::randn({40, 64}).to(torch::kBFloat16);
  x[17][5] = NAN;
  torch::Tensor w = torch::randn({70, 64});
  // A NaN whose payload lies in the low 16 bits only: rounded by its bits alone it would become
  // an infinity.
  const uint32_t low_payload_nan = 0x7F800001u;
  std::memcpy(w.data_ptr<float>() + 9 * 64 + 3, &low_payload_nan, sizeof low_payload_nan);
  const torch::Tensor y = gen::linear_bf16_cpu(x, w).to(torch::kFloat);
  CHECK(torch::isnan(y[17]).all().item<bool>());
  CHECK(torch::isnan(y.select(1, 9)).all().item<bool>());
  const torch::Tensor others = torch::ones({40, 70}, torch::kBool).index_put_({17}, false).index_put_(
      {torch::indexing::Slice(), 9}, false);
  CHECK(torch::isfinite(y.masked_select(others)).all().item<bool>());

  // w's gradient sums two halves of the rows' pairs, each by its own threads: 1, 2 and 3 threads
  // (one thread for one half, two for the other) give the same bits; one row leaves the first
  // half empty.
  for (const int64_t rows : {250, 1}) {
    const torch::Tensor input = torch::randn({rows, 96});
    const torch::Tensor weight = torch::randn({160, 96});
    const torch::Tensor upstream = torch::randn({rows, 160});
    const int threads = at::get_num_threads();
    std::vector<torch::Tensor> outs, dxs, dws;
    for (int t : {1, 2, 3}) {
      at::set_num_threads(t);
      const torch::Tensor xi = input.clone().requires_grad_(), wi = weight.clone().requires_grad_();
      const torch::Tensor out = gen::linear_bf16_cpu(xi, wi);
      (out.to(torch::kFloat) * upstream).sum().backward();
      outs.push_back(out.detach());
      dxs.push_back(xi.grad());
      dws.push_back(wi.grad());
    }
    at::set_num_threads(threads);
    for (size_t i = 1; i < outs.size(); ++i) {
      CHECK(torch::equal(outs[0], outs[i]));
      CHECK(torch::equal(dxs[0], dxs[i]));
      CHECK(torch::equal(dws[0], dws[i]));
    }
    const torch::Tensor reference =
        upstream.to(torch::kBFloat16).to(torch::kDouble).t().mm(input.to(torch::kBFloat16).to(torch::kDouble));
    CHECK(torch::allclose(dws[0].to(torch::kDouble), reference, 1e-2, 1e-2));
  }
}

TEST_CASE("bf16 linear kernel: the cases it takes, and no double backward", "[model]") {
  const torch::Tensor w = torch::zeros({8, 6});
  const torch::Tensor x = torch::zeros({3, 6});
  CHECK(gen::linear_bf16_cpu_fits(x, w, torch::Tensor()) == has_bf16_dots());
  CHECK(gen::linear_bf16_cpu_fits(x.to(torch::kBFloat16), w, torch::Tensor()) == has_bf16_dots());
  CHECK_FALSE(gen::linear_bf16_cpu_fits(x, w, torch::zeros({8})));                                    // a bias
  CHECK_FALSE(gen::linear_bf16_cpu_fits(torch::zeros({3, 5}), torch::zeros({8, 5}), torch::Tensor()));  // odd K
  CHECK(gen::linear_bf16_cpu_fits(x, torch::zeros({7, 6}), torch::Tensor()) == has_bf16_dots());  // odd N
  CHECK_FALSE(gen::linear_bf16_cpu_fits(x.to(torch::kHalf), w, torch::Tensor()));
  CHECK_FALSE(gen::linear_bf16_cpu_fits(x, w.to(torch::kBFloat16), torch::Tensor()));
  CHECK_FALSE(gen::linear_bf16_cpu_fits(torch::zeros({3, 4}), w, torch::Tensor()));  // K mismatch
  if (!has_bf16_dots()) return;
  gen::test::with_kernel_isa("avx512", [&] { CHECK_FALSE(gen::linear_bf16_cpu_fits(x, w, torch::Tensor())); });
  CHECK_THROWS_WITH(gen::linear_bf16_cpu(torch::zeros({3, 5}), torch::zeros({8, 5})),
                    Catch::Contains("not a case it takes"));
  const torch::Tensor xi = torch::randn({4, 6}).requires_grad_();
  const torch::Tensor y = gen::linear_bf16_cpu(xi, torch::randn({8, 6}));
  CHECK_THROWS_WITH(
      torch::autograd::grad({y.to(torch::kFloat).sum()}, {xi}, {}, /*retain_graph=*/true, /*create_graph=*/true),
      Catch::Contains("no double backward"));
}

TEST_CASE("bf16 linear kernel: the Transformer runs it under bf16 autocast, its FLOPs counted as LibTorch's",
          "[model]") {
  if (skipped_without_bf16_dots()) return;
  gen::GptShape shape;
  shape.n_layer = 2;
  shape.n_head = 2;
  shape.n_embd = 32;
  shape.vocab_size = 65;
  shape.block_size = 16;
  torch::manual_seed(4);
  gen::Gpt model(shape);
  const torch::Tensor idx = torch::randint(65, {3, 16});
  // Forced to the AVX-512 clones the products are autocast's LibTorch mm; at AVX512_BF16
  // gen's kernel, counted with the same FLOPs (the head's 65 columns included).
  auto run = [&](const std::string& isa, gen::FlopCount& count) {
    torch::Tensor logits;
    gen::test::with_kernel_isa(isa, [&] {
      const gen::AutocastScope autocast(gen::Precision::kBf16, torch::kCPU);
      const gen::FlopCounter counter;
      logits = model->forward(idx);
      count = counter.count();
    });
    return logits.to(torch::kFloat);
  };
  gen::FlopCount libtorch, kernel;
  const torch::Tensor want = run("avx512", libtorch);
  const torch::Tensor got = run("avx512bf16", kernel);
  CHECK(kernel.with_grad == libtorch.with_grad);
  CHECK(kernel.ops == libtorch.ops);
  // The same bf16 operands summed in another order: logits of a few units apart by bf16 steps.
  CHECK((got - want).abs().max().item<float>() < 0.1);
  CHECK_FALSE(torch::equal(got, want));  // a different code path did run
}
